/**
 * Path mapping through real clients: aws-cli and boto3 address a hierarchical namespace (`s3://noaa/goes16/...`)
 * that the gateway serves from configured buckets (`noaa:goes16`). One suite, run by the Node server and the Worker
 * tests with their own buckets and start function.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, signedRawRequest, type KeyPair } from "./behaviour/clients.js";
import { awsCli, boto3Client, type ClientTarget, type MatrixClient } from "./clients/adapters.js";

/** What the suite needs from a runtime. */
export interface PathMappingRuntime {
  /** A bucket definition (backend and options) for a configured bucket name such as `noaa:goes16`. */
  bucket(name: string): Record<string, unknown>;
  /** Whether the buckets' backend lists uploads in progress (R2's binding does not: its listings are empty). */
  listsUploads: boolean;
  /** Starts a gateway on this config; resolves with its endpoint. */
  start(config: Record<string, unknown>): Promise<{ endpoint: string; close(): Promise<void> }>;
}

const KEY: KeyPair = { accessKeyId: "AKIAPATHMAPPING00001", secretAccessKey: "path-mapping-secret-000000000000000000001" };

/** The config the suite runs: two buckets of namespace `noaa`, a key on them, `bucket_segments = 2`. */
export function pathMappingConfig(runtime: PathMappingRuntime): Record<string, unknown> {
  return {
    buckets: [{ ...runtime.bucket("noaa:goes16"), anonymous_access: false }, { ...runtime.bucket("noaa:archive"), anonymous_access: false }],
    roles: [],
    credentials: [
      {
        access_key_id: KEY.accessKeyId,
        secret_access_key: KEY.secretAccessKey,
        principal_name: "mapper",
        created_at: "2024-01-01T00:00:00Z",
        enabled: true,
        allowed_scopes: [
          { bucket: "noaa:goes16", prefixes: [], actions: ["get_object", "head_object", "put_object", "delete_object", "list_bucket", "create_multipart_upload", "upload_part", "complete_multipart_upload", "abort_multipart_upload"] },
          { bucket: "noaa:archive", prefixes: [], actions: ["list_bucket"] },
        ],
      },
    ],
    path_mapping: { bucket_segments: 2 },
  };
}

const CLIENTS: MatrixClient[] = [
  awsCli({ id: "aws-cli", label: "aws-cli (PATH: pyenv awscli v1)", command: "aws", v1: true, install: "pip install awscli" }),
  boto3Client({ id: "boto3", label: "boto3 (PATH: pyenv python3)", python: "python3", install: "pip install boto3" }),
];

/** Registers the suite under `label`. */
export function runPathMappingClients(label: string, runtime: PathMappingRuntime): void {
  describe(`path mapping through real clients: ${label}`, () => {
    let gateway: { endpoint: string; close(): Promise<void> };
    let work: string;

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), "multistore-path-mapping-"));
      gateway = await runtime.start(pathMappingConfig(runtime));
    }, 120_000);

    afterAll(async () => {
      await gateway?.close();
      await rm(work, { recursive: true, force: true });
    });

    const target = (): ClientTarget => {
      const url = new URL(gateway.endpoint);
      return { scheme: "http", style: "path", host: url.hostname, port: Number(url.port), endpoint: gateway.endpoint, credentials: KEY, region: "us-east-1", work };
    };

    for (const client of CLIENTS) {
      it(`${client.label}: uploads, lists, downloads, reads a range and presigns under s3://noaa/goes16/`, async () => {
        client.require();
        const body = `goes-16 scan for ${client.id}\n`.repeat(20);
        const source = join(work, `${client.id}-source.txt`);
        writeFileSync(source, body);
        const key = `goes16/ABI-L2/${client.id}/scan 1.nc`;
        await client.upload(target(), source, "noaa", key);
        expect(await client.list(target(), "noaa", `goes16/ABI-L2/${client.id}/`)).toEqual([key]);
        const copy = join(work, `${client.id}-copy.txt`);
        await client.download(target(), "noaa", key, copy);
        expect(readFileSync(copy, "utf8")).toBe(body);
        if (client.rangedRead) {
          const range = join(work, `${client.id}-range.txt`);
          await client.rangedRead(target(), "noaa", key, 5, 9, range);
          expect(readFileSync(range, "utf8")).toBe(body.slice(5, 10));
        }
        for (const presigner of client.presigners) {
          const response = await fetch(await presigner.url(target(), "noaa", key));
          expect([presigner.name, response.status, await response.text()]).toEqual([presigner.name, 200, body]);
        }
      }, 120_000);
    }

    it("lists every key of the namespace to a recursive listing (aws s3 ls --recursive s3://noaa/, boto3's paginator)", async () => {
      for (const name of ["goes16/recursive/one.txt", "goes16/recursive/two.txt"]) {
        const put = await signedRawRequest(gateway.endpoint, KEY, { method: "PUT", path: `/noaa/${name}`, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: name });
        expect(put.status).toBe(200);
      }
      for (const client of CLIENTS) {
        client.require();
        const keys = await client.list(target(), "noaa", "");
        expect(keys, client.label).toEqual(expect.arrayContaining(["goes16/recursive/one.txt", "goes16/recursive/two.txt"]));
        expect(keys.every((key) => key.startsWith("goes16/") || key.startsWith("archive/")), client.label).toBe(true);
      }
    }, 120_000);

    it("deletes recursively under s3://noaa/goes16/ (DeleteObjects on the namespace, then one DeleteObject per key)", async () => {
      for (const client of CLIENTS) {
        client.require();
        const prefix = `goes16/remove-${client.id}/`;
        const keys = ["one.txt", "two.txt", "deeper/three.txt"].map((name) => prefix + name);
        for (const key of keys) {
          const put = await signedRawRequest(gateway.endpoint, KEY, { method: "PUT", path: `/noaa/${key}`, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: key });
          expect(put.status).toBe(200);
        }
        await client.deleteRecursive(target(), "noaa", prefix, keys);
        // (aws s3 ls fails on an empty prefix: the listing is read raw.)
        const left = await signedRawRequest(gateway.endpoint, KEY, { method: "GET", path: "/noaa", query: { "list-type": "2", prefix } });
        expect([left.status, left.text.includes("<KeyCount>0</KeyCount>")], client.label).toEqual([200, true]);
      }
    }, 120_000);

    it("answers multipart uploads under the names the client used, and completes them", async () => {
      const path = "/noaa/goes16/multipart/assembled.bin";
      const created = await signedRawRequest(gateway.endpoint, KEY, { method: "POST", path, query: { uploads: "" }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
      expect(created.status).toBe(200);
      expect(created.text).toContain("<Bucket>noaa</Bucket><Key>goes16/multipart/assembled.bin</Key>");
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.text)![1]!;
      const part = await signedRawRequest(gateway.endpoint, KEY, { method: "PUT", path, query: { partNumber: "1", uploadId }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: "one part" });
      expect(part.status).toBe(200);
      const etag = String(part.headers.etag);
      // A listing of the namespace's uploads with a prefix naming a bucket lists that bucket's, under the client's names.
      const uploads = await signedRawRequest(gateway.endpoint, KEY, { method: "GET", path: "/noaa", query: { uploads: "", prefix: "goes16/multipart/" } });
      expect(uploads.status).toBe(200);
      expect(uploads.text).toContain("<Bucket>noaa</Bucket>");
      expect(uploads.text.includes(`<Key>goes16/multipart/assembled.bin</Key><UploadId>${uploadId}</UploadId>`)).toBe(runtime.listsUploads);
      const document = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`;
      const completed = await signedRawRequest(gateway.endpoint, KEY, { method: "POST", path, query: { uploadId }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: document });
      expect(completed.status).toBe(200);
      expect(completed.text).toContain("<Bucket>noaa</Bucket><Key>goes16/multipart/assembled.bin</Key>");
      const read = await signedRawRequest(gateway.endpoint, KEY, { method: "GET", path });
      expect([read.status, read.text]).toEqual([200, "one part"]);
    });

    it("copies within the namespace: the copy source is mapped like the path", async () => {
      const put = await signedRawRequest(gateway.endpoint, KEY, { method: "PUT", path: "/noaa/goes16/copy/source.txt", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: "copied across" });
      expect(put.status).toBe(200);
      const copy = await signedRawRequest(gateway.endpoint, KEY, { method: "PUT", path: "/noaa/goes16/copy/target.txt", headers: { "x-amz-copy-source": "/noaa/goes16/copy/source.txt", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
      expect([copy.status, copy.text.includes("<CopyObjectResult")]).toEqual([200, true]);
      const read = await signedRawRequest(gateway.endpoint, KEY, { method: "GET", path: "/noaa/goes16/copy/target.txt" });
      expect([read.status, read.text]).toEqual([200, "copied across"]);
    });

    it("lists the namespace as directories, and names the client's path in errors", async () => {
      const listing = await signedRawRequest(gateway.endpoint, KEY, { method: "GET", path: "/noaa", query: { "list-type": "2", delimiter: "/" } });
      expect(listing.status).toBe(200);
      expect([...listing.text.matchAll(/<Prefix>([^<]*)<\/Prefix>/g)].map((match) => match[1])).toEqual(["", "archive/", "goes16/"]);
      expect(listing.text).toContain("<Name>noaa</Name>");
      // The namespace is a bucket to its clients: HeadBucket and GetBucketLocation answer as for one (rclone checks the
      // bucket before it writes, and creates it when the check fails).
      const head = await signedRawRequest(gateway.endpoint, KEY, { method: "HEAD", path: "/noaa" });
      expect(head.status).toBe(200);
      const location = await signedRawRequest(gateway.endpoint, KEY, { method: "GET", path: "/noaa", query: { location: "" } });
      expect([location.status, location.text.includes("<LocationConstraint")]).toEqual([200, true]);
      // So do the reads of its settings, which bucket browsers (Cyberduck, s3cmd info) make when they open a bucket.
      const versioning = await signedRawRequest(gateway.endpoint, KEY, { method: "GET", path: "/noaa", query: { versioning: "" } });
      expect([versioning.status, versioning.text.includes("<VersioningConfiguration")]).toEqual([200, true]);
      const blocked = await signedRawRequest(gateway.endpoint, KEY, { method: "GET", path: "/noaa", query: { publicAccessBlock: "" } });
      expect([blocked.status, blocked.text.includes("<RestrictPublicBuckets>true</RestrictPublicBuckets>")]).toEqual([200, true]);
      const policy = await signedRawRequest(gateway.endpoint, KEY, { method: "GET", path: "/noaa", query: { policy: "" } });
      expect([policy.status, errorCode(policy.text)]).toEqual([404, "NoSuchBucketPolicy"]);
      const noNamespace = await signedRawRequest(gateway.endpoint, KEY, { method: "HEAD", path: "/nasa" });
      expect(noNamespace.status).toBe(404);
      const missing = await signedRawRequest(gateway.endpoint, KEY, { method: "GET", path: "/noaa/goes16/none.txt" });
      expect([missing.status, errorCode(missing.text)]).toEqual([404, "NoSuchKey"]);
      expect(missing.text).toContain("<Resource>/noaa/goes16/none.txt</Resource>");
      const unknown = await signedRawRequest(gateway.endpoint, KEY, { method: "GET", path: "/noaa/radar/x.txt" });
      expect([unknown.status, errorCode(unknown.text)]).toEqual([404, "NoSuchBucket"]);
      const denied = await signedRawRequest(gateway.endpoint, KEY, { method: "GET", path: "/noaa/archive/x.txt" });
      expect([denied.status, errorCode(denied.text)]).toEqual([403, "AccessDenied"]);
    });

    it("answers an object request on a bucket's own segments as the key it is to the client (it cannot exist)", async () => {
      // `aws s3 cp f s3://noaa/goes16` must not answer 200 (a CreateBucket) and store nothing.
      const put = await signedRawRequest(gateway.endpoint, KEY, { method: "PUT", path: "/noaa/goes16", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: "lost?" });
      expect([put.status, errorCode(put.text)]).toEqual([400, "InvalidRequest"]);
      // As the AWS SDK for JavaScript sends it (x-id names the operation, not a bucket's).
      const sdkPut = await signedRawRequest(gateway.endpoint, KEY, { method: "PUT", path: "/noaa/goes16", query: { "x-id": "PutObject" }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: "lost?" });
      expect([sdkPut.status, errorCode(sdkPut.text)]).toEqual([400, "InvalidRequest"]);
      // Nor a GET the bucket's listing as the object's body.
      const get = await signedRawRequest(gateway.endpoint, KEY, { method: "GET", path: "/noaa/goes16" });
      expect([get.status, errorCode(get.text)]).toEqual([404, "NoSuchKey"]);
      // The bucket itself is still `/noaa/goes16/`.
      const listing = await signedRawRequest(gateway.endpoint, KEY, { method: "GET", path: "/noaa/goes16/", query: { "list-type": "2" } });
      expect(listing.status).toBe(200);
    });
  });
}
