/** 64 MiB GETs and PUTs one at a time through C and through the server, alternating, in MB/s and as a ratio to C. */
import { Agent } from "undici";
import { transfer } from "./load.mjs";
import { fixed, median, table } from "./report.mjs";

const MiB = 1024 * 1024;
// A 64 MiB transfer takes a fraction of a second here: enough rounds that one hiccup does not decide the median.
const ROUNDS = 15;

/**
 * Moves 64 MiB down through `cGet` and the server's `/get` bucket and up through `cPut` and its `/put` bucket,
 * `ROUNDS` times each, prints the table and resolves to each method's ratio to C. `presign(path, method)` gives the
 * server's signed URL of a path.
 */
export async function largeObjects(cGet, cPut, presign) {
  const dispatcher = new Agent({ connections: 4 });
  const runs = { GET: [[], []], PUT: [[], []] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const method of ["GET", "PUT"]) {
      const c = method === "GET" ? `${cGet.url}/bucket/64m.bin` : `${cPut.url}/bucket/upload-64m.bin`;
      const ours = presign(method === "GET" ? "/get/64m.bin" : "/put/upload-64m.bin", method);
      for (const [index, url] of [c, ours].entries()) {
        const moved = await transfer(url, { method, size: 64 * MiB, dispatcher });
        runs[method][index].push(moved.bytes / MiB / moved.seconds);
      }
    }
  }
  await dispatcher.close();
  const rows = [];
  const ratios = {};
  for (const method of ["GET", "PUT"]) {
    const [c, ours] = runs[method].map(median);
    ratios[method] = ours / c;
    rows.push([`64 MiB ${method}`, fixed(c), fixed(ours), fixed(ours / c, 2)]);
  }
  table(`Large objects, one at a time (MB/s, median of ${ROUNDS})`, ["transfer", "C", "ours", "/C"], rows);
  return ratios;
}
