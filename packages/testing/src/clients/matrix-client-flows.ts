/**
 * The flows each client of the matrix runs on a scheme: upload and download (and a ranged read), a tree synced both
 * ways or deleted in a batch, a listing of more than one page, presigned GETs and PUTs, a stat, and once per runtime a
 * 20 MiB upload (and, for clients that stream, a 70 MiB stream of unknown length), over HTTPS where the client can.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { expect, it } from "vitest";
import type { MatrixClient } from "./adapters.js";
import { combinations, LIST_COUNT, LIST_PREFIX, MATRIX_BUCKETS, MATRIX_DOMAIN, type Scheme } from "./matrix-config.js";
import { expectSameBytes, sha256, treeDigest, type MatrixContext } from "./matrix-context.js";

/** Registers one client's tests on one scheme (inside the client's describe). */
export function clientFlows(context: MatrixContext, scheme: Scheme, client: MatrixClient): void {
  const { current, largeOn, backendLabel, targetFor, getBytes, etagOf, listAll, fetchWithCurl, uploadWithCurl } = context;
  const prepare = (client: MatrixClient) => client.require();

  for (const [backend, style] of combinations(scheme, client)) {
    {
      const bucket = MATRIX_BUCKETS[backend];
      const where = `${backendLabel(backend)} bucket, ${style === "path" ? "path-style" : "virtual-hosted"}`;
      const prefix = `${client.id}/${scheme}-${style}/`;
      const target = () => targetFor(scheme, style, client.id);

      it(`uploads and downloads a small file (${where})`, async () => {
        prepare(client);
        const t = target();
        const original = readFileSync(current().files.small);
        await client.upload(t, current().files.small, bucket, `${prefix}small.bin`);
        expectSameBytes(await getBytes(scheme, bucket, `${prefix}small.bin`), original, "stored object");
        const out = join(t.work, "small.out");
        await client.download(t, bucket, `${prefix}small.bin`, out);
        expectSameBytes(readFileSync(out), original, "downloaded file");
        if (client.rangedRead && style === "path") {
          const ranged = join(t.work, "ranged.out");
          await client.rangedRead(t, bucket, `${prefix}small.bin`, 1000, 5999, ranged);
          expectSameBytes(readFileSync(ranged), original.subarray(1000, 6000), "ranged read");
        }
      });

      it(`${client.syncUp ? "syncs a small tree both ways, then deletes it recursively" : "deletes a small tree with a batch delete"} (${where})`, async () => {
        prepare(client);
        const t = target();
        const w = current();
        const treePrefix = `${prefix}tree/`;
        const expected = treeDigest(w.files.tree);
        if (client.syncUp && client.syncDown) {
          await client.syncUp(t, w.files.tree, bucket, treePrefix);
          const stored: Record<string, string> = {};
          for (const key of await listAll(scheme, bucket, treePrefix)) stored[key.slice(treePrefix.length)] = sha256(await getBytes(scheme, bucket, key));
          expect(stored).toEqual(expected);
          const down = join(t.work, "tree-down");
          await rm(down, { recursive: true, force: true });
          mkdirSync(down);
          await client.syncDown(t, bucket, treePrefix, down);
          expect(treeDigest(down)).toEqual(expected);
        } else {
          for (const relativePath of Object.keys(expected)) {
            await w.sdk[scheme].send(new PutObjectCommand({ Bucket: bucket, Key: `${treePrefix}${relativePath}`, Body: readFileSync(join(w.files.tree, relativePath)) }));
          }
        }
        const keys = await listAll(scheme, bucket, treePrefix);
        expect(keys.length).toBe(Object.keys(expected).length);
        await client.deleteRecursive(t, bucket, treePrefix, keys);
        expect(await listAll(scheme, bucket, treePrefix)).toEqual([]);
      });

      it(`lists ${LIST_COUNT} keys (${where})`, async () => {
        prepare(client);
        const keys = await client.list(target(), bucket, LIST_PREFIX);
        expect(keys.length).toBe(LIST_COUNT);
        expect([...keys].sort()).toEqual(current().listKeys);
      });

      for (const presigner of client.putPresigners ?? []) {
        it(`presigns a PUT with ${presigner.name}, uploaded by curl (${where})`, async () => {
          prepare(client);
          const t = target();
          const original = readFileSync(current().files.small);
          const key = `${prefix}presigned-put.bin`;
          const url = await presigner.url(t, bucket, key);
          expect(url.startsWith(style === "path" ? `${scheme}://127.0.0.1:${t.port}/${bucket}/` : `${scheme}://${bucket}.${MATRIX_DOMAIN}:${t.port}/`), url).toBe(true);
          await uploadWithCurl(url, scheme, current().files.small, join(t.work, "presigned-put.out"));
          expectSameBytes(await getBytes(scheme, bucket, key), original, "stored object");
        });
      }

      if (client.stat) {
        const stat = client.stat;
        it(`stats an object: size and ETag (${where})`, async () => {
          prepare(client);
          const key = `${prefix}stat.bin`;
          const original = readFileSync(current().files.small);
          await current().sdk[scheme].send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: original }));
          expect(await stat(target(), bucket, key)).toEqual({ size: original.length, etag: await etagOf(scheme, bucket, key) });
        });
      }

      for (const presigner of client.presigners) {
        it(`presigns a GET with ${presigner.name}, fetched by curl (${where})${presigner.sigv2 ? " [SigV2]" : ""}`, async () => {
          prepare(client);
          const t = target();
          const original = readFileSync(current().files.small);
          const key = `${prefix}presigned.bin`;
          await current().sdk[scheme].send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: original }));
          const url = await presigner.url(t, bucket, key);
          expect(url.startsWith(style === "path" ? `${scheme}://127.0.0.1:${t.port}/${bucket}/` : `${scheme}://${bucket}.${MATRIX_DOMAIN}:${t.port}/`), url).toBe(true);
          expectSameBytes(await fetchWithCurl(url, scheme, join(t.work, "presigned.out")), original, "presigned GET");
        });
      }
    }
  }

  const largeBackend = largeOn(client.id);
  const largeScheme = client.schemes?.includes("https") === false ? "http" : "https";
  if (scheme === largeScheme && largeBackend) {
    for (const backend of [largeBackend]) {
      it(`uploads, downloads${client.copy ? " and copies" : ""} a 20 MiB file (${backendLabel(backend)} bucket, path-style)`, async () => {
        prepare(client);
        const t = targetFor(scheme, "path", client.id);
        const bucket = MATRIX_BUCKETS[backend];
        const key = `${client.id}/large.bin`;
        const original = readFileSync(current().files.large);
        await client.upload(t, current().files.large, bucket, key);
        expectSameBytes(await getBytes(scheme, bucket, key), original, "stored object");
        // A multipart upload's ETag is "<md5 of the part MD5s>-<part count>" (s3rver gives a whole-object MD5).
        if (client.multipart && backend === "native") expect(await etagOf(scheme, bucket, key)).toMatch(/-\d+"$/);
        const out = join(t.work, "large.out");
        await client.download(t, bucket, key, out);
        expectSameBytes(readFileSync(out), original, "downloaded file");
        if (client.copy) {
          // A server-side copy has the source's bytes; one copied in parts (UploadPartCopy) has a multipart ETag.
          const copyKey = `${client.id}/large-copy.bin`;
          await client.copy(t, bucket, key, copyKey);
          expectSameBytes(await getBytes(scheme, bucket, copyKey), original, "copied object");
          if (client.copiesInParts && backend === "native") expect(await etagOf(scheme, bucket, copyKey)).toMatch(/-\d+"$/);
          await current().sdk[scheme].send(new PutObjectCommand({ Bucket: bucket, Key: copyKey, Body: "" }));
          // Into a bucket of another store: the gateway streams the copy (in parts, for the clients that copy so).
          const elsewhere = MATRIX_BUCKETS[backend === "native" ? "s3" : "native"];
          await client.copy(t, bucket, key, copyKey, elsewhere);
          expectSameBytes(await getBytes(scheme, elsewhere, copyKey), original, "object copied to another store");
          await current().sdk[scheme].send(new PutObjectCommand({ Bucket: elsewhere, Key: copyKey, Body: "" }));
        }
        await current().sdk[scheme].send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "" }));
      }, 180_000);

      if (client.uploadStream) {
        const uploadStream = client.uploadStream;
        it(`uploads a 70 MiB stream of unknown length in parts (${backendLabel(backend)} bucket, path-style)`, async () => {
          prepare(client);
          const t = targetFor(scheme, "path", client.id);
          const bucket = MATRIX_BUCKETS[backend];
          const key = `${client.id}/stream.bin`;
          const size = 70 * 1024 * 1024;
          const block = Buffer.alloc(1024 * 1024);
          for (let index = 0; index < block.length; index++) block[index] = (index * 31) % 251;
          const hash = createHash("sha256");
          async function* chunks() {
            for (let sent = 0; sent < size; sent += block.length) {
              hash.update(block);
              yield block;
            }
          }
          await uploadStream(t, bucket, key, Readable.from(chunks()));
          const stored = await getBytes(scheme, bucket, key);
          expect(stored.length).toBe(size);
          expect(createHash("sha256").update(stored).digest("hex")).toBe(hash.digest("hex"));
          await current().sdk[scheme].send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "" }));
        }, 300_000);
      }
    }
  }
}
