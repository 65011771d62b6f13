/**
 * Build step (`node dist/emit-json-schema.js`): writes the editor JSON Schema to `schema/config.schema.json`. The
 * only module of the package that touches `node:*`; it is not exported.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { createConfigJsonSchema } from "./json-schema.js";

const target = new URL("../schema/config.schema.json", import.meta.url);
await mkdir(new URL(".", target), { recursive: true });
await writeFile(target, `${JSON.stringify(createConfigJsonSchema(), null, 2)}\n`);
