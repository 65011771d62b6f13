/**
 * The bucket-level reads of a namespace itself (`GET /ns?versioning` when `ns.alpha` and `ns.beta` are configured):
 * answered as a bucket's, from what the caller's buckets under it have in common, once one of them is usable.
 */
import { describe, expect, it } from "vitest";
import type { GatewayOptions, TargetMapping } from "../src/index.js";
import { childText, parseXml } from "../src/backend.js";
import type { BucketConfig } from "../src/types.js";
import { bucket, credential, gatewayRequest, MemoryBackend, text } from "./helpers/memory-backend.js";
import { mappedGateway } from "./helpers/mapped-gateway.js";
import { plain } from "./helpers/results.js";
import { signWithHeader } from "./helpers/sign.js";

/** `/ns/<name>/...` is bucket `ns.<name>`; any other request on `/ns` is one of the namespace. */
const mapping: TargetMapping = {
  map(_method, rawPath) {
    const [namespace, name, ...rest] = rawPath.slice(1).split("/");
    if (namespace !== "ns") return undefined;
    if (name) return { rawPath: `/ns.${name}${rest.length > 0 ? `/${rest.join("/")}` : ""}`, resource: rawPath };
    return { resource: "/ns", namespace: { name: "ns", bucketPrefix: "ns.", separator: ".", segments: 1 } };
  },
};

const CREDENTIALS = [
  credential("AKIDALPHA", [{ bucket: "ns.alpha", prefixes: [], actions: ["get_object"] }]),
  credential("AKIDBOTH", [{ bucket: "ns.alpha", prefixes: [], actions: ["get_object"] }, { bucket: "ns.beta", prefixes: [], actions: ["get_object"] }]),
  credential("AKIDNONE", [{ bucket: "other", prefixes: [], actions: ["get_object"] }]),
];

function make(buckets: BucketConfig[], extra: Partial<GatewayOptions<Uint8Array>> = {}, backend = new MemoryBackend()) {
  return mappedGateway({ mapping, buckets, credentials: CREDENTIALS, backend }, extra);
}

/** Reads `setting` of the namespace as `id` (null: anonymously). */
async function read(gateway: ReturnType<typeof make>, setting: string, id: string | null = "AKIDALPHA", method = "GET") {
  const signed = id === null ? { target: `/ns?${setting}`, headers: {} } : await signWithHeader({ accessKeyId: id, secretAccessKey: `${id}-secret` }, { method, path: "/ns", query: { [setting]: "" } });
  const response = plain(await gateway.handle(gatewayRequest(method, signed.target, signed.headers)));
  const body = text(response.body);
  return { status: response.status, body, root: parseXml(body) };
}

const PRIVATE = [bucket("ns.alpha"), bucket("ns.beta")];

describe("the settings of a namespace", () => {
  it("answers what every bucket here answers: versioning never enabled, no ownership by writer, no policy", async () => {
    const gateway = make(PRIVATE);
    expect((await read(gateway, "versioning")).body).toMatch(/<VersioningConfiguration[^>]*\/?>(<\/VersioningConfiguration>)?$/);
    const location = await read(gateway, "location");
    expect([location.status, location.root.name, location.root.text]).toEqual([200, "LocationConstraint", ""]);
    expect((await read(gateway, "ownershipControls")).body).toContain("<ObjectOwnership>BucketOwnerEnforced</ObjectOwnership>");
    expect((await read(gateway, "requestPayment")).body).toContain("<Payer>BucketOwner</Payer>");
    const policy = await read(gateway, "policy");
    expect([policy.status, childText(policy.root, "Code"), childText(policy.root, "BucketName")]).toEqual([404, "NoSuchBucketPolicy", "ns"]);
  });

  it("shows public access where one of the caller's buckets is anonymous, blocked where none is", async () => {
    const closed = make(PRIVATE);
    const acl = await read(closed, "acl");
    expect([acl.status, acl.body.includes("<Permission>FULL_CONTROL</Permission>"), acl.body.includes("AllUsers")]).toEqual([200, true, false]);
    // A bucket no path of the namespace reaches (its buckets are two segments below it here) does not count.
    const deep: TargetMapping = { map: () => ({ resource: "/ns", namespace: { name: "ns", bucketPrefix: "ns.", separator: ".", segments: 2 } }) };
    const unreachable = make([bucket("ns.alpha.x"), bucket("ns.old", { anonymous_access: true })], { targetMapping: deep });
    const reads = [await read(unreachable, "acl", null), await read(unreachable, "publicAccessBlock", null)];
    expect(reads.map((answer) => answer.status)).toEqual([403, 403]);
    expect((await read(closed, "publicAccessBlock")).body).toContain("<BlockPublicAcls>true</BlockPublicAcls>");
    const open = make([bucket("ns.alpha"), bucket("ns.beta", { anonymous_access: true })]);
    expect((await read(open, "acl")).body).toContain("http://acs.amazonaws.com/groups/global/AllUsers");
    // Anonymous callers read them where a bucket is theirs to use, as they list it.
    expect((await read(open, "versioning", null)).status).toBe(200);
    const refused = await read(closed, "versioning", null);
    expect([refused.status, childText(refused.root, "Code")]).toEqual([403, "AccessDenied"]);
    const unblocked = await read(open, "publicAccessBlock");
    expect([unblocked.status, childText(unblocked.root, "Code")]).toEqual([404, "NoSuchPublicAccessBlockConfiguration"]);
  });

  it("shows SSE-S3 only where every bucket's store encrypts at rest, and the gateway's CORS rules", async () => {
    const plainStore = await read(make(PRIVATE), "encryption");
    expect([plainStore.status, childText(plainStore.root, "Code")]).toEqual([404, "ServerSideEncryptionConfigurationNotFoundError"]);
    const encrypting = Object.assign(new MemoryBackend(), { encryptsAtRest: true });
    expect((await read(make(PRIVATE, {}, encrypting), "encryption")).body).toContain("<SSEAlgorithm>AES256</SSEAlgorithm>");
    // Every bucket of the caller's: one store that does not (or one not served here) is enough to say no.
    const backends = { memory: () => encrypting, plain: () => new MemoryBackend() };
    for (const beta of ["plain", "unserved"]) {
      const mixed = make([bucket("ns.alpha"), bucket("ns.beta", { backend_type: beta })], { backends });
      expect((await read(mixed, "encryption", "AKIDALPHA")).body, beta).toContain("<SSEAlgorithm>AES256</SSEAlgorithm>");
      const both = await read(mixed, "encryption", "AKIDBOTH");
      expect([both.status, childText(both.root, "Code")], beta).toEqual([404, "ServerSideEncryptionConfigurationNotFoundError"]);
    }
    const noRules = await read(make([bucket("ns.alpha", { cors_rules: [{ allowed_origins: ["https://alpha.example"], allowed_methods: ["GET"] }] })]), "cors");
    expect([noRules.status, childText(noRules.root, "Code")]).toEqual([404, "NoSuchCORSConfiguration"]);
    const global = await read(make(PRIVATE, { cors: [{ allowed_origins: ["https://global.example"], allowed_methods: ["GET"] }] }), "cors");
    expect(global.body).toContain("<AllowedOrigin>https://global.example</AllowedOrigin>");
  });

  it("is NoSuchBucket for a namespace without buckets and AccessDenied to a caller with none of them", async () => {
    const empty = await read(make([bucket("other")]), "versioning");
    expect([empty.status, childText(empty.root, "Code")]).toEqual([404, "NoSuchBucket"]);
    const denied = await read(make(PRIVATE), "lifecycle", "AKIDNONE");
    expect([denied.status, childText(denied.root, "Code")]).toEqual([403, "AccessDenied"]);
    // Settings are read, never changed, through S3.
    const changed = await read(make(PRIVATE), "versioning", "AKIDALPHA", "PUT");
    expect([changed.status, childText(changed.root, "Code")]).toEqual([501, "NotImplemented"]);
  });
});
