/** Hostile and largest-legitimate XML bodies for the bench's parser section (what DeleteObjects and CompleteMultipartUpload receive). */
// The client-body XML parser is internal to core (no entry exports it): the bench measures it in core's build.
import { parseClientXml } from "../../../../packages/core/dist/xml.js";

const MiB = 1024 * 1024;

/** Cases: name → [document, root element]. */
export const XML_CASES = {
  "1.5 MiB Delete, 250k nested elements": [`<Delete>${"<a>".repeat(250_000)}${"</a>".repeat(250_000)}</Delete>`, "Delete"],
  "2 MiB of empty elements": [`<Delete>${"<a/>".repeat(Math.floor((2 * MiB - 20) / 4))}</Delete>`, "Delete"],
  "2 MiB of <Object><Key>": [`<Delete>${"<Object><Key>k</Key></Object>".repeat(Math.floor((2 * MiB - 20) / 29))}</Delete>`, "Delete"],
  "2 MiB of entity references": [`<Delete><Object><Key>${"&amp;".repeat(Math.floor((2 * MiB - 60) / 5))}</Key></Object></Delete>`, "Delete"],
  "1 MiB of attributes on one element": [`<Delete ${Array.from({ length: 110_000 }, (_, index) => `a${index}=""`).join(" ")}/>`, "Delete"],
  "largest legitimate: 10,000 parts with checksums": [
    `<CompleteMultipartUpload>${Array.from({ length: 10_000 }, (_, index) => `<Part><PartNumber>${index + 1}</PartNumber><ETag>"e"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32><ChecksumSHA256>y</ChecksumSHA256></Part>`).join("")}</CompleteMultipartUpload>`,
    "CompleteMultipartUpload",
  ],
};

/** Median milliseconds of parsing (or refusing) each case, over `rounds`. */
export function timeXmlCases(rounds = 5) {
  const results = [];
  for (const [name, [document, root]] of Object.entries(XML_CASES)) {
    const times = [];
    let outcome = "parsed";
    for (let round = 0; round < rounds; round++) {
      const started = performance.now();
      try {
        parseClientXml(document, root);
      } catch (error) {
        outcome = error.code ?? "error";
      }
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    results.push({ name, megabytes: document.length / MiB, millis: times[Math.floor(times.length / 2)], outcome });
  }
  return results;
}
