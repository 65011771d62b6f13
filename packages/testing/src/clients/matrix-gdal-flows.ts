/**
 * The GDAL flows of the client matrix (/vsis3/): a GeoTIFF's header and stats read with ranged reads, a GeoTIFF
 * written with gdal_translate, a GeoPackage written with ogr2ogr and read back, and once per runtime a 20 MiB GeoTIFF
 * written in parts.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { expect, it } from "vitest";
import { gdalEnv, rasterSummary, requireGdal, SMALL_TIFF_OPTIONS, vectorSummary, writeVectorFixture } from "./gdal.js";
import { combinations, MATRIX_BUCKETS, type Scheme } from "./matrix-config.js";
import { expectSameBytes, type MatrixContext } from "./matrix-context.js";
import { mustRun } from "./tools.js";

/** Registers the GDAL tests on one scheme (inside the matrix's GDAL describe). */
export function gdalFlows(context: MatrixContext, scheme: Scheme): void {
  const { current, largeOn, backendLabel, targetFor, getBytes, etagOf } = context;
  const rasters = () => {
    requireGdal();
    const w = current();
    if (!w.rasters) throw new Error(`the GeoTIFF fixtures could not be made: ${String(w.rasterError)}`);
    return w.rasters;
  };
  for (const [backend, style] of combinations(scheme)) {
    {
      const bucket = MATRIX_BUCKETS[backend];
      const where = `${backendLabel(backend)} bucket, ${style === "path" ? "path-style" : "virtual-hosted"}`;
      const prefix = `gdal/${scheme}-${style}/`;
      it(`reads a GeoTIFF's header and stats with ranged reads (${where})`, async () => {
        const { small } = rasters();
        await current().sdk[scheme].send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}small.tif`, Body: readFileSync(small) }));
        const t = targetFor(scheme, style, "gdal");
        expect(await rasterSummary(`/vsis3/${bucket}/${prefix}small.tif`, gdalEnv(t))).toEqual(await rasterSummary(small, gdalEnv()));
      });
      it(`writes a GeoTIFF with gdal_translate (${where})`, async () => {
        const { grid } = rasters();
        const t = targetFor(scheme, style, "gdal");
        const local = join(t.work, "written.tif");
        await mustRun("gdal_translate", [...SMALL_TIFF_OPTIONS, grid, local], { env: gdalEnv() });
        await mustRun("gdal_translate", [...SMALL_TIFF_OPTIONS, grid, `/vsis3/${bucket}/${prefix}written.tif`], {
          env: gdalEnv(t, { CPL_VSIL_USE_TEMP_FILE_FOR_RANDOM_WRITE: "YES" }),
        });
        expectSameBytes(await getBytes(scheme, bucket, `${prefix}written.tif`), readFileSync(local), "GeoTIFF written through /vsis3/");
      });
      it(`writes a GeoPackage with ogr2ogr and reads it back (${where})`, async () => {
        requireGdal();
        const t = targetFor(scheme, style, "gdal");
        const input = join(t.work, "cities.geojson");
        writeVectorFixture(input);
        // A GeoPackage is SQLite, written at random offsets: GDAL stages it in a temp file, then uploads it.
        await mustRun("ogr2ogr", ["-f", "GPKG", `/vsis3/${bucket}/${prefix}cities.gpkg`, input], { env: gdalEnv(t, { CPL_VSIL_USE_TEMP_FILE_FOR_RANDOM_WRITE: "YES" }) });
        const local = join(t.work, "cities.gpkg");
        writeFileSync(local, await getBytes(scheme, bucket, `${prefix}cities.gpkg`));
        const expected = await vectorSummary(input, gdalEnv());
        expect(expected).toHaveLength(3);
        expect(await vectorSummary(local, gdalEnv())).toEqual(expected);
        expect(await vectorSummary(`/vsis3/${bucket}/${prefix}cities.gpkg`, gdalEnv(t))).toEqual(expected);
      });
    }
  }
  if (scheme === "https") {
    for (const backend of [largeOn("gdal")!]) {
      it(`writes a 20 MiB GeoTIFF (multipart) and reads its checksum back (${backendLabel(backend)} bucket, path-style)`, async () => {
        const { large } = rasters();
        const bucket = MATRIX_BUCKETS[backend];
        const t = targetFor(scheme, "path", "gdal");
        const local = join(t.work, "large-copy.tif");
        await mustRun("gdal_translate", ["-q", "-of", "GTiff", large, local], { env: gdalEnv() });
        await mustRun("gdal_translate", ["-q", "-of", "GTiff", large, `/vsis3/${bucket}/gdal/large.tif`], {
          env: gdalEnv(t, { CPL_VSIL_USE_TEMP_FILE_FOR_RANDOM_WRITE: "YES", VSIS3_CHUNK_SIZE: "5" }),
        });
        expectSameBytes(await getBytes(scheme, bucket, "gdal/large.tif"), readFileSync(local), "GeoTIFF written through /vsis3/");
        if (backend === "native") expect(await etagOf(scheme, bucket, "gdal/large.tif")).toMatch(/-\d+"$/);
        expect(await rasterSummary(`/vsis3/${bucket}/gdal/large.tif`, gdalEnv(t))).toEqual(await rasterSummary(local, gdalEnv()));
        await current().sdk[scheme].send(new PutObjectCommand({ Bucket: bucket, Key: "gdal/large.tif", Body: "" }));
      }, 180_000);
    }
  }
}
