/**
 * GDAL (Debian gdal-bin) reading and writing through `/vsis3/`. Configuration is all environment: AWS_S3_ENDPOINT
 * (host:port, no scheme), AWS_HTTPS, AWS_VIRTUAL_HOSTING, AWS_REGION, the key pair, CURL_CA_BUNDLE for the test CA,
 * and GDAL_HTTP_PROXY (the loopback proxy) for virtual-hosted style.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClientTarget } from "./adapters.js";
import { cleanEnv, CLIENT_APT_INSTALL, mustRun, requireTool, whichTool } from "./tools.js";

/** Fails the test unless gdalinfo, gdal_translate and gdal_create are installed. */
export function requireGdal(): void {
  requireTool("GDAL (gdal-bin)", () => ["gdalinfo", "gdal_translate", "gdal_create"].every((tool) => whichTool(tool) !== undefined), CLIENT_APT_INSTALL);
}

/** The environment GDAL needs to reach the gateway (plus settings common to every GDAL run of the matrix). */
export function gdalEnv(target?: ClientTarget, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    // No .aux.xml side files (gdalinfo -stats would try to write one next to the /vsis3/ object) and no listing.
    GDAL_PAM_ENABLED: "NO",
    GDAL_DISABLE_READDIR_ON_OPEN: "EMPTY_DIR",
    CPL_AWS_CREDENTIALS_FILE: "/dev/null",
    AWS_CONFIG_FILE: "/dev/null",
    GDAL_HTTP_MAX_RETRY: "0",
    ...(target && {
      AWS_S3_ENDPOINT: `${target.host}:${target.port}`,
      AWS_HTTPS: target.scheme === "https" ? "YES" : "NO",
      AWS_VIRTUAL_HOSTING: target.style === "virtual" ? "TRUE" : "FALSE",
      AWS_REGION: target.region,
      AWS_ACCESS_KEY_ID: target.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: target.credentials.secretAccessKey,
      // GDAL 3.6's /vsis3/ reads take SSL_CERT_FILE over CURL_CA_BUNDLE when both are set: point both at the CA.
      ...(target.caPath && { CURL_CA_BUNDLE: target.caPath, SSL_CERT_FILE: target.caPath }),
      // GDAL has no resolver option: virtual-hosted requests go through the loopback proxy (CONNECT for https).
      ...(target.loopbackProxy && { GDAL_HTTP_PROXY: target.loopbackProxy }),
    }),
    ...extra,
  });
}

/** What a raster looks like to `gdalinfo -json -stats -checksum`, minus where it was read from. */
export interface RasterSummary {
  driver: string;
  size: number[];
  geoTransform: number[] | undefined;
  bands: { type: string; block: number[]; checksum: number; min: number; max: number; mean: number }[];
}

/** `gdalinfo -json -stats -checksum` of a path (local or `/vsis3/bucket/key`), reduced to what must match. */
export async function rasterSummary(path: string, env: NodeJS.ProcessEnv): Promise<RasterSummary> {
  const info = JSON.parse(await mustRun("gdalinfo", ["-json", "-stats", "-checksum", path], { env })) as {
    driverShortName: string;
    size: number[];
    geoTransform?: number[];
    bands: { type: string; block: number[]; checksum: number; minimum: number; maximum: number; mean: number }[];
  };
  return {
    driver: info.driverShortName,
    size: info.size,
    geoTransform: info.geoTransform,
    bands: info.bands.map((band) => ({ type: band.type, block: band.block, checksum: band.checksum, min: band.minimum, max: band.maximum, mean: band.mean })),
  };
}

/** The matrix's raster fixtures: an ASCII grid, a small tiled GeoTIFF made from it, and a ~20 MiB striped GeoTIFF. */
export interface RasterFixtures {
  /** A 64×48 ASCII grid with varied values (gdal_translate's input for upload tests). */
  grid: string;
  /** Tiled (16×16) Byte GeoTIFF of the grid, EPSG:4326. */
  small: string;
  /** 4096×5120 Byte GeoTIFF, uncompressed strips: 20 MiB of pixels. */
  large: string;
}

/** The gdal_translate arguments that turn the grid into the small GeoTIFF (also used to write to /vsis3/). */
export const SMALL_TIFF_OPTIONS = ["-q", "-of", "GTiff", "-ot", "Byte", "-a_srs", "EPSG:4326", "-co", "TILED=YES", "-co", "BLOCKXSIZE=16", "-co", "BLOCKYSIZE=16"];

/** Writes the raster fixtures into `dir` (needs gdal-bin). */
export async function makeRasterFixtures(dir: string): Promise<RasterFixtures> {
  const columns = 64;
  const rows = 48;
  const lines = [`ncols ${columns}`, `nrows ${rows}`, "xllcorner 10.0", "yllcorner 45.0", "cellsize 0.01", "NODATA_value -9999"];
  for (let y = 0; y < rows; y++) lines.push(Array.from({ length: columns }, (_, x) => String((x * 7 + y * 13 + ((x * y) % 11)) % 256)).join(" "));
  const grid = join(dir, "grid.asc");
  writeFileSync(grid, `${lines.join("\n")}\n`);
  const small = join(dir, "small.tif");
  const large = join(dir, "large.tif");
  const env = gdalEnv();
  await mustRun("gdal_translate", [...SMALL_TIFF_OPTIONS, grid, small], { env });
  await mustRun("gdal_translate", ["-q", "-of", "GTiff", "-outsize", "4096", "5120", "-r", "bilinear", small, large], { env });
  return { grid, small, large };
}

/** A small GeoJSON layer (three points with attributes): ogr2ogr's input for vector write tests. */
export function writeVectorFixture(path: string): void {
  const features = [
    [4.35, 50.85, "Brussels", 1210000],
    [2.35, 48.86, "Paris", 2102000],
    [13.4, 52.52, "Berlin", 3645000],
  ].map(([x, y, name, population]) => ({ type: "Feature", properties: { name, population }, geometry: { type: "Point", coordinates: [x, y] } }));
  writeFileSync(path, JSON.stringify({ type: "FeatureCollection", features }));
}

/** What a vector dataset holds, comparable across formats: its features (attributes and geometry), as GeoJSON. */
export async function vectorSummary(path: string, env: NodeJS.ProcessEnv): Promise<unknown[]> {
  // Debian 12's ogrinfo (GDAL 3.6) has no -json: ogr2ogr writes the (single) layer as GeoJSON to stdout instead.
  const collection = JSON.parse(await mustRun("ogr2ogr", ["-f", "GeoJSON", "/vsistdout/", path], { env })) as {
    features: { properties: Record<string, unknown>; geometry: unknown }[];
  };
  return collection.features.map((feature) => ({ properties: feature.properties, geometry: feature.geometry }));
}
