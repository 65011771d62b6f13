/**
 * A minimal PMTiles v3 archive, written from the format's specification (github.com/protomaps/PMTiles, spec/v3):
 * a 127-byte little-endian header, an uncompressed root directory of varint columns, `{}` metadata, then the tiles.
 * Fixture for the range-reader tests: the reader must find each tile by ranged GETs.
 */
import { zxyToTileId } from "pmtiles";

function varints(values: number[]): number[] {
  const out: number[] = [];
  for (let value of values) {
    while (value >= 0x80) {
      out.push((value & 0x7f) | 0x80);
      value = Math.floor(value / 128);
    }
    out.push(value);
  }
  return out;
}

/** An archive holding `tiles` (z/x/y → bytes), uncompressed, of tile type "unknown". */
export function pmtilesArchive(tiles: { z: number; x: number; y: number; data: Uint8Array }[]): Uint8Array {
  const entries = tiles.map((tile) => ({ id: zxyToTileId(tile.z, tile.x, tile.y), data: tile.data })).sort((a, b) => a.id - b.id);
  let offset = 0;
  const placed = entries.map((entry) => {
    const at = offset;
    offset += entry.data.length;
    return { ...entry, offset: at };
  });
  // Columns: tile id deltas, run lengths, lengths, offsets (0: right after the previous tile, else offset + 1).
  const directory = Uint8Array.from([
    ...varints([placed.length]),
    ...varints(placed.map((entry, index) => entry.id - (index === 0 ? 0 : placed[index - 1]!.id))),
    ...varints(placed.map(() => 1)),
    ...varints(placed.map((entry) => entry.data.length)),
    ...varints(placed.map((entry, index) => (index > 0 && entry.offset === placed[index - 1]!.offset + placed[index - 1]!.data.length ? 0 : entry.offset + 1))),
  ]);
  const metadata = new TextEncoder().encode("{}");
  const header = new DataView(new ArrayBuffer(127));
  new Uint8Array(header.buffer).set(new TextEncoder().encode("PMTiles"), 0);
  header.setUint8(7, 3);
  const u64 = (at: number, value: number) => header.setBigUint64(at, BigInt(value), true);
  const rootOffset = 127;
  const metadataOffset = rootOffset + directory.length;
  const dataOffset = metadataOffset + metadata.length;
  u64(8, rootOffset);
  u64(16, directory.length);
  u64(24, metadataOffset);
  u64(32, metadata.length);
  u64(40, dataOffset);
  u64(48, 0);
  u64(56, dataOffset);
  u64(64, offset);
  u64(72, placed.length);
  u64(80, placed.length);
  u64(88, placed.length);
  header.setUint8(96, 1); // clustered
  header.setUint8(97, 1); // internal compression: none
  header.setUint8(98, 1); // tile compression: none
  header.setUint8(99, 0); // tile type: unknown
  header.setUint8(100, Math.min(...tiles.map((tile) => tile.z)));
  header.setUint8(101, Math.max(...tiles.map((tile) => tile.z)));
  header.setInt32(102, -1800000000, true);
  header.setInt32(106, -850000000, true);
  header.setInt32(110, 1800000000, true);
  header.setInt32(114, 850000000, true);
  const archive = new Uint8Array(dataOffset + offset);
  archive.set(new Uint8Array(header.buffer), 0);
  archive.set(directory, rootOffset);
  archive.set(metadata, metadataOffset);
  for (const entry of placed) archive.set(entry.data, dataOffset + entry.offset);
  return archive;
}
