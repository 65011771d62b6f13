/** Browser form uploads through the gateway: signed policies, their conditions, scopes, and what the form asks back. */
import { createHmac } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { parseXml, childText } from "../src/backend.js";
import type { GatewayRequest, GatewayResult, TargetMapping } from "../src/index.js";
import { RequestBodyDecoder } from "../src/request-body.js";
import { BOUNDARY, formBody, policyOf, signatureConditions, signedFields } from "./helpers/form.js";
import type { MemoryBackend } from "./helpers/memory-backend.js";
import { text } from "./helpers/memory-backend.js";
import { objectsGateway } from "./helpers/objects-gateway.js";

const EXPIRES = "2024-01-01T13:00:00Z";
let local: MemoryBackend;
let gateway: ReturnType<typeof objectsGateway>["gateway"];

beforeEach(() => {
  ({ local, gateway } = objectsGateway());
});

/** A POST of `body` whose runtime reads heads (unless `heads` is false). */
function formRequest(body: Uint8Array, options: { target?: string; headers?: Record<string, string>; heads?: boolean; origin?: string; signedPath?: string } = {}): GatewayRequest<Uint8Array> {
  let rest = body;
  const request: GatewayRequest<Uint8Array> = {
    ...(options.origin !== undefined && { origin: options.origin }),
    ...(options.signedPath !== undefined && { signedPath: options.signedPath }),
    method: "POST",
    target: options.target ?? "/data",
    headers: new Headers({ host: "localhost:8080", "content-type": `multipart/form-data; boundary=${BOUNDARY}`, "content-length": String(body.length), ...options.headers }),
    get body() {
      return rest;
    },
    readBody: async () => rest,
  };
  if (options.heads !== false) {
    request.readBodyHead = async (end) => {
      const length = end(body);
      if (length < 0) return body;
      rest = body.subarray(length);
      return body.subarray(0, length);
    };
  }
  return request;
}

/** Runs a result as a runtime would: the rest of the body decoded (the file cut out), then the backend. */
async function answer(result: GatewayResult<Uint8Array>, request: GatewayRequest<Uint8Array>) {
  if (result.type === "response") return { status: result.response.status, headers: result.response.headers, body: text(result.response.body) };
  if (result.type !== "native") throw new Error("expected a native dispatch");
  const decoder = new RequestBodyDecoder(result);
  const parts = [...(await decoder.push(request.body!)), ...(await decoder.finish())];
  const file = new Uint8Array(Buffer.concat(parts));
  const response = await result.execute(file, new AbortController().signal);
  return { status: response.status, headers: response.headers, body: text(response.body) };
}

/** Posts a form signed by `id` (secret `<id>-secret`) with a policy of `conditions` plus the signature's own. */
async function post(id: string, fields: [string, string][], conditions: unknown[], file = "form file bytes", options: { expiration?: string; target?: string; secret?: string } = {}) {
  const policy = policyOf(options.expiration ?? EXPIRES, [...conditions, ...signatureConditions(id)]);
  const body = formBody([...fields, ...signedFields(id, options.secret ?? `${id}-secret`, policy)], { filename: "photo.png", type: "image/png", content: file });
  const request = formRequest(body, { target: options.target ?? "/data" });
  return answer(await gateway.handle(request), request);
}

const codeOf = (body: string) => childText(parseXml(body), "Code");

/** A form for `key` signed by `id` (with `token`, a session's), posted to `target` with `headers`. */
async function signedForm(id: string, secret: string, key: string, options: { target?: string; headers?: Record<string, string>; token?: string; bucket?: string } = {}) {
  const token: [string, string][] = options.token === undefined ? [] : [["x-amz-security-token", options.token]];
  const policy = policyOf(EXPIRES, [{ key }, ...(options.bucket === undefined ? [] : [{ bucket: options.bucket }]), ...signatureConditions(id), ...token.map(([name, value]) => ({ [name]: value }))]);
  const body = formBody([["key", key], ...token, ...signedFields(id, secret, policy)], { content: `to ${key}` });
  return formRequest(body, { ...(options.target !== undefined && { target: options.target }), ...(options.headers !== undefined && { headers: options.headers }) });
}

describe("form uploads", () => {
  it("stores the file under the key the form names, with its fields as the object's headers, and answers 204", async () => {
    const fields: [string, string][] = [["key", "uploads/${filename}"], ["Content-Type", "text/plain"], ["x-amz-meta-owner", "ana"]];
    const conditions = [{ bucket: "data" }, ["starts-with", "$key", "uploads/"], ["eq", "$Content-Type", "text/plain"], ["starts-with", "$x-amz-meta-owner", ""], ["content-length-range", 1, 100]];
    const { status, headers, body } = await post("AKIDWRITER", fields, conditions);
    expect({ status, body }).toEqual({ status: 204, body: "" });
    expect(headers.get("etag")).toBe(local.objects.get("tenant-a/uploads/photo.png")!.etag);
    expect(headers.get("location")).toBe("/data/uploads/photo.png");
    expect(text(local.objects.get("tenant-a/uploads/photo.png")!.body)).toBe("form file bytes");
    const asked = local.callsTo("prepareObject").at(-1)![0] as { operation: string; headers: Headers };
    expect(asked.operation).toBe("PutObject");
    expect(asked.headers.get("content-type")).toBe("text/plain");
    expect(asked.headers.get("x-amz-meta-owner")).toBe("ana");
    expect(asked.headers.get("content-length")).toBe("15");
  });

  it("answers 201 with a document, or a 303 to the form's redirect", async () => {
    const created = await post("AKIDWRITER", [["key", "a.txt"], ["success_action_status", "201"]], [{ key: "a.txt" }, { success_action_status: "201" }]);
    expect(created.status).toBe(201);
    const document = parseXml(created.body);
    expect([childText(document, "Bucket"), childText(document, "Key"), childText(document, "ETag"), childText(document, "Location")]).toEqual(["data", "a.txt", local.objects.get("tenant-a/a.txt")!.etag, "/data/a.txt"]);
    const redirected = await post("AKIDWRITER", [["key", "b.txt"], ["success_action_redirect", "https://app.example.com/done?x=1"]], [{ key: "b.txt" }, ["starts-with", "$success_action_redirect", "https://app.example.com/"]]);
    expect(redirected.status).toBe(303);
    const location = new URL(redirected.headers.get("location")!);
    expect([location.origin + location.pathname, location.searchParams.get("x"), location.searchParams.get("bucket"), location.searchParams.get("key"), location.searchParams.get("etag")]).toEqual([
      "https://app.example.com/done", "1", "data", "b.txt", local.objects.get("tenant-a/b.txt")!.etag,
    ]);
  });

  it("gives the object no type without a Content-Type field (not the file part's own), and the tagging field's document as tags", async () => {
    const tagging = "<Tagging><TagSet><Tag><Key>team</Key><Value>geo data</Value></Tag></TagSet></Tagging>";
    // A store that keeps no tags refuses them, rather than dropping them.
    expect((await post("AKIDWRITER", [["key", "c.png"], ["tagging", tagging]], [{ key: "c.png" }, { tagging }])).status).toBe(501);
    local.putObjectTagging = async () => ({});
    const { status } = await post("AKIDWRITER", [["key", "c.png"], ["tagging", tagging]], [{ key: "c.png" }, { tagging }]);
    expect(status).toBe(204);
    const asked = local.callsTo("prepareObject").at(-1)![0] as { headers: Headers };
    expect(asked.headers.get("content-type")).toBeNull();
    expect(asked.headers.get("x-amz-tagging")).toBe("team=geo%20data");
  });

  it("takes the object settings a form names (website redirect, encryption) as PutObject's headers: refused where the store keeps none", async () => {
    const fields: [string, string][] = [["key", "d.html"], ["x-amz-website-redirect-location", "/e.html"], ["x-amz-server-side-encryption", "AES256"]];
    const conditions = [{ key: "d.html" }, { "x-amz-website-redirect-location": "/e.html" }, { "x-amz-server-side-encryption": "AES256" }];
    for (const [field, value, status] of [
      ["x-amz-website-redirect-location", "/e.html", 501],
      ["x-amz-server-side-encryption", "AES256", 501],
      ["x-amz-server-side-encryption-customer-algorithm", "AES256", 501],
      ["x-amz-object-lock-legal-hold", "ON", 400],
    ] as const) {
      const refused = await post("AKIDWRITER", [["key", "d.html"], [field, value]], [{ key: "d.html" }, { [field]: value }]);
      expect(refused.status, field).toBe(status);
    }
    expect(local.objects.has("tenant-a/d.html")).toBe(false);
    Object.defineProperty(local, "kind", { value: "s3" });
    expect((await post("AKIDWRITER", fields, conditions)).status).toBe(204);
    const asked = local.callsTo("prepareObject").at(-1)![0] as { headers: Headers };
    expect([asked.headers.get("x-amz-website-redirect-location"), asked.headers.get("x-amz-server-side-encryption")]).toEqual(["/e.html", "AES256"]);
  });

  it("checks the key's conditions against the key written (${filename} replaced by the file's name)", async () => {
    expect((await post("AKIDWRITER", [["key", "up/${filename}"]], [["starts-with", "$key", "up/"]])).status).toBe(204);
    expect(local.objects.has("tenant-a/up/photo.png")).toBe(true);
    expect((await post("AKIDWRITER", [["key", "exact/${filename}"]], [{ key: "exact/photo.png" }])).status).toBe(204);
    const placeholder = await post("AKIDWRITER", [["key", "up/${filename}"]], [{ key: "up/${filename}" }]);
    expect([placeholder.status, codeOf(placeholder.body)]).toEqual([403, "AccessDenied"]);
    // No file chosen (an empty file name): no key at all, never the bucket itself.
    const policy = policyOf(EXPIRES, [["starts-with", "$key", ""], ...signatureConditions("AKIDWRITER")]);
    const nameless = formRequest(formBody([["key", "${filename}"], ...signedFields("AKIDWRITER", "AKIDWRITER-secret", policy)], { filename: "", content: "" }));
    const answered = await answer(await gateway.handle(nameless), nameless);
    expect([answered.status, codeOf(answered.body)]).toEqual([400, "InvalidArgument"]);
  });

  it("sends non-ASCII field values as RFC 2047 words, and refuses control characters and an aws-chunked encoding", async () => {
    expect((await post("AKIDWRITER", [["key", "u.txt"], ["x-amz-meta-city", "Zürich ☃"]], [{ key: "u.txt" }, { "x-amz-meta-city": "Zürich ☃" }])).status).toBe(204);
    const asked = local.callsTo("prepareObject").at(-1)![0] as { headers: Headers };
    expect(asked.headers.get("x-amz-meta-city")).toBe(`=?UTF-8?B?${Buffer.from("Zürich ☃").toString("base64")}?=`);
    const control = await post("AKIDWRITER", [["key", "v.txt"], ["x-amz-meta-x", "a\u0001b"]], [{ key: "v.txt" }, { "x-amz-meta-x": "a\u0001b" }]);
    expect([control.status, codeOf(control.body)]).toEqual([400, "InvalidArgument"]);
    const chunked = await post("AKIDWRITER", [["key", "w.txt"], ["Content-Encoding", "gzip, aws-chunked"]], [{ key: "w.txt" }, { "Content-Encoding": "gzip, aws-chunked" }]);
    expect([chunked.status, codeOf(chunked.body)]).toEqual([400, "InvalidArgument"]);
  });

  it("names the object's URL as the client addresses it: the runtime's origin, and a prefix it took off the path", async () => {
    const policy = policyOf(EXPIRES, [{ key: "where.txt" }, { success_action_status: "201" }, ...signatureConditions("AKIDWRITER")]);
    const body = formBody([["key", "where.txt"], ["success_action_status", "201"], ...signedFields("AKIDWRITER", "AKIDWRITER-secret", policy)], { content: "x" });
    for (const [options, location] of [
      [{ origin: "https://s3.example.com" }, "https://s3.example.com/data/where.txt"],
      [{ origin: "https://api.example.com", signedPath: "/prod/data" }, "https://api.example.com/prod/data/where.txt"],
    ] as const) {
      const request = formRequest(body, options);
      const answered = await answer(await gateway.handle(request), request);
      expect([answered.status, answered.headers.get("location"), childText(parseXml(answered.body), "Location")]).toEqual([201, location, location]);
    }
  });

  it("takes a policy signed with Signature Version 2", async () => {
    const policy = policyOf(EXPIRES, [{ key: "v2.txt" }]);
    const signature = createHmac("sha1", "AKIDWRITER-secret").update(policy).digest("base64");
    const request = formRequest(formBody([["key", "v2.txt"], ["AWSAccessKeyId", "AKIDWRITER"], ["policy", policy], ["signature", signature]], { content: "v2" }));
    expect((await answer(await gateway.handle(request), request)).status).toBe(204);
    expect(text(local.objects.get("tenant-a/v2.txt")!.body)).toBe("v2");
  });

  it("refuses forms the policy does not allow, and stores nothing", async () => {
    const refusal = async (fields: [string, string][], conditions: unknown[], options: Parameters<typeof post>[4] = {}, file?: string) => {
      const { status, body } = await post("AKIDWRITER", fields, conditions, file, options);
      const document = parseXml(body);
      return { status, code: childText(document, "Code"), message: childText(document, "Message") };
    };
    expect(await refusal([["key", "other/x"]], [["starts-with", "$key", "uploads/"]])).toEqual({ status: 403, code: "AccessDenied", message: 'Invalid according to Policy: Policy Condition failed: ["starts-with","$key","uploads/"]' });
    expect(await refusal([["key", "x"]], [{ key: "x" }], { expiration: "2024-01-01T11:59:59Z" })).toEqual({ status: 403, code: "AccessDenied", message: "Invalid according to Policy: Policy expired." });
    // (A year below 100 is that year, long past.)
    expect(await refusal([["key", "x"]], [{ key: "x" }], { expiration: "0050-01-01T00:00:00Z" })).toMatchObject({ status: 403, code: "AccessDenied" });
    // An expiration is a UTC time, read the same wherever the server runs; a date that does not exist is none.
    for (const expiration of ["2024-01-01T13:00:00", "2024-02-30T13:00:00Z", "2024-01-01T24:00:00Z", "tomorrow"]) {
      expect(await refusal([["key", "x"]], [{ key: "x" }], { expiration })).toMatchObject({ status: 400, code: "InvalidPolicyDocument" });
    }
    expect(await refusal([["key", "x"], ["x-amz-meta-extra", "1"]], [{ key: "x" }])).toEqual({ status: 403, code: "AccessDenied", message: "Invalid according to Policy: Extra input fields: x-amz-meta-extra" });
    expect(await refusal([["key", "x"]], [{ key: "x" }, ["content-length-range", 0, 10]])).toMatchObject({ status: 400, code: "EntityTooLarge" });
    expect(await refusal([["key", "x"]], [{ key: "x" }, ["content-length-range", 100, 200]])).toMatchObject({ status: 400, code: "EntityTooSmall" });
    expect(await refusal([["key", "x"]], [{ bucket: "other" }, { key: "x" }])).toMatchObject({ status: 403, code: "AccessDenied" });
    expect(await refusal([["key", "x"]], [["matches", "$key", "x"]])).toMatchObject({ status: 400, code: "InvalidPolicyDocument" });
    expect(await refusal([["key", "x"]], [{ key: "x" }], { secret: "wrong" })).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
    expect(await refusal([["key", "x"], ["acl", "everyone"]], [{ key: "x" }, { acl: "everyone" }])).toMatchObject({ status: 400, code: "InvalidArgument" });
    expect(await refusal([["x-amz-meta-a", "1"]], [["starts-with", "$x-amz-meta-a", ""]])).toMatchObject({ status: 400, code: "InvalidArgument", message: expect.stringContaining("'key'") });
    expect(local.callsTo("prepareObject")).toEqual([]);
    // (Fractions of a second are taken.)
    expect((await post("AKIDWRITER", [["key", "ms"]], [{ key: "ms" }], "x", { expiration: "2024-01-01T12:00:00.500Z" })).status).toBe(204);
  });

  it("authorizes the upload as a PutObject of the key by the policy's signer", async () => {
    // AKIDCOPIER may put under dst/ only.
    expect((await post("AKIDCOPIER", [["key", "dst/ok"]], [{ key: "dst/ok" }])).status).toBe(204);
    const refused = await post("AKIDCOPIER", [["key", "elsewhere"]], [{ key: "elsewhere" }]);
    expect([refused.status, codeOf(refused.body)]).toEqual([403, "AccessDenied"]);
    const unknown = await post("AKIDNOBODY", [["key", "x"]], [{ key: "x" }]);
    expect([unknown.status, codeOf(unknown.body)]).toEqual([403, "InvalidAccessKeyId"]);
    // Without a policy the form is anonymous: a private bucket refuses it.
    const anonymous = formRequest(formBody([["key", "x"]], { content: "x" }));
    const answered = await answer(await gateway.handle(anonymous), anonymous);
    expect([answered.status, codeOf(answered.body)]).toEqual([403, "AccessDenied"]);
    const unsignedPolicy = formRequest(formBody([["key", "x"], ["x-amz-signature", "00"]], { content: "x" }));
    expect(codeOf((await answer(await gateway.handle(unsignedPolicy), unsignedPolicy)).body)).toBe("InvalidArgument");
  });

  it("refuses forms a runtime cannot read, without a length, or with a bad boundary", async () => {
    const body = formBody([["key", "x"]], { content: "x" });
    const cases: [GatewayRequest<Uint8Array>, number, string][] = [
      [formRequest(body, { heads: false }), 501, "NotImplemented"],
      [formRequest(body, { headers: { "content-length": "" } }), 411, "MissingContentLength"],
      [formRequest(body, { headers: { "content-type": "multipart/form-data" } }), 400, "MalformedPOSTRequest"],
    ];
    for (const [request, status, code] of cases) {
      const answered = await answer(await gateway.handle(request), request);
      expect([answered.status, codeOf(answered.body)]).toEqual([status, code]);
    }
    // A POST to a key, or with a sub-resource, is no form upload.
    const toKey = formRequest(body, { target: "/data/key" });
    expect(codeOf((await answer(await gateway.handle(toKey), toKey)).body)).toBe("NotImplemented");
  });
});

describe("form uploads signed with session credentials, virtual-hosted, and under a target mapping", () => {
  it("takes a form signed with temporary credentials and their session token", async () => {
    const session = { accessKeyId: "ASIASESSION", secretAccessKey: "session-secret", principalName: "role/session", expiresAt: new Date("2024-01-01T18:00:00Z"), scopes: [{ bucket: "data", prefixes: ["shared/"], actions: ["put_object" as const] }] };
    ({ local, gateway } = objectsGateway(undefined, undefined, { temporaryCredentials: { resolve: async (token) => (token === "good-token" ? session : undefined) } }));
    const good = await signedForm("ASIASESSION", "session-secret", "shared/s.txt", { token: "good-token" });
    expect((await answer(await gateway.handle(good), good)).status).toBe(204);
    expect(text(local.objects.get("tenant-a/shared/s.txt")!.body)).toBe("to shared/s.txt");
    const unknown = await signedForm("ASIASESSION", "session-secret", "shared/t.txt", { token: "other-token" });
    expect(codeOf((await answer(await gateway.handle(unknown), unknown)).body)).toBe("InvalidToken");
    // Without its token the key is no long-lived one.
    const tokenless = await signedForm("ASIASESSION", "session-secret", "shared/u.txt");
    expect(codeOf((await answer(await gateway.handle(tokenless), tokenless)).body)).toBe("InvalidAccessKeyId");
  });

  it("takes a virtual-hosted form (POST / on bucket.domain), its bucket condition naming the host's bucket", async () => {
    ({ local, gateway } = objectsGateway(undefined, undefined, { domain: "s3.example.com" }));
    const headers = { host: "data.s3.example.com" };
    const posted = await signedForm("AKIDWRITER", "AKIDWRITER-secret", "vhost.txt", { target: "/", headers, bucket: "data" });
    const answered = await answer(await gateway.handle(posted), posted);
    expect([answered.status, answered.headers.get("location")]).toEqual([204, "/vhost.txt"]);
    expect(text(local.objects.get("tenant-a/vhost.txt")!.body)).toBe("to vhost.txt");
    // Posted to a base path the runtime took off (`https://data.s3.example.com/s3`): the Location keeps it.
    const based = formRequest(formBody([["key", "based.txt"], ...signedFields("AKIDWRITER", "AKIDWRITER-secret", policyOf(EXPIRES, [{ key: "based.txt" }, ...signatureConditions("AKIDWRITER")]))], { content: "x" }), { target: "/", headers, origin: "https://data.s3.example.com", signedPath: "/s3" });
    expect((await answer(await gateway.handle(based), based)).headers.get("location")).toBe("https://data.s3.example.com/s3/based.txt");
    const elsewhere = await signedForm("AKIDWRITER", "AKIDWRITER-secret", "vhost.txt", { target: "/", headers, bucket: "other" });
    expect(codeOf((await answer(await gateway.handle(elsewhere), elsewhere)).body)).toBe("AccessDenied");
  });

  it("maps the key a form names under a namespace onto the bucket its first segment names, and answers with the client's names", async () => {
    // `/ns/<key>` is key `<key>` of bucket `data` (with its prefix) for this test's mapping.
    const targetMapping: TargetMapping = {
      map(_method, rawPath) {
        if (!rawPath.startsWith("/ns/")) return undefined;
        return { rawPath: `/data/${rawPath.slice("/ns/".length)}`, resource: rawPath, shown: { name: "ns", keyPrefix: "" } };
      },
    };
    ({ local, gateway } = objectsGateway(undefined, undefined, { targetMapping }));
    const posted = await signedForm("AKIDWRITER", "AKIDWRITER-secret", "mapped/m.txt", { target: "/ns", bucket: "ns" });
    const answered = await answer(await gateway.handle(posted), posted);
    expect([answered.status, answered.headers.get("location")]).toEqual([204, "/ns/mapped/m.txt"]);
    expect(text(local.objects.get("tenant-a/mapped/m.txt")!.body)).toBe("to mapped/m.txt");
  });
});
