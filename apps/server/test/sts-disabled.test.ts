/** STS calls to a server without SESSION_TOKEN_KEY get STS's own error saying why, not S3's 404 or 405. */
import { Writable } from "node:stream";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { parseConfig } from "@multistore/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";
import { stsDisabledRoutes } from "../src/sts-disabled.js";

let root: string;
let server: MultistoreServer;
let endpoint: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "multistore-sts-off-"));
  const config = parseConfig({ buckets: [{ name: "data", backend_type: "fs", anonymous_access: true, backend_options: { root } }] });
  server = createMultistoreServer({ config, logger: createLogger("silent", new Writable({ write: (_chunk, _encoding, done) => done() })) });
  const { port } = await server.listen(0, "127.0.0.1");
  endpoint = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

const form = (params: Record<string, string>, query = "") =>
  fetch(`${endpoint}/${query}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(params) });

/** The STS error document's code and message. */
async function stsError(response: Response) {
  const text = await response.text();
  expect(text).toContain('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">');
  return { status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] };
}

describe("STS without SESSION_TOKEN_KEY", () => {
  it("answers POST / with an STS form, and any request to /.sts, with InvalidAction naming SESSION_TOKEN_KEY", async () => {
    const answers = [
      await form({ Action: "AssumeRoleWithWebIdentity", Version: "2011-06-15", RoleArn: "reader", WebIdentityToken: "x" }),
      await fetch(`${endpoint}/.sts?Action=AssumeRoleWithWebIdentity`),
      await fetch(`${endpoint}/.sts/`, { method: "POST", body: new URLSearchParams({ Action: "AssumeRoleWithWebIdentity" }) }),
      await fetch(`${endpoint}/.sts`, { method: "PUT" }),
    ];
    for (const response of answers) {
      expect(response.headers.get("content-type")).toBe("text/xml");
      const error = await stsError(response);
      expect(error).toEqual({ status: 400, code: "InvalidAction", message: expect.stringContaining("STS is disabled on this server: SESSION_TOKEN_KEY is not set") });
    }
  });

  it("is what an unmodified STS client reports", async () => {
    const client = new STSClient({ endpoint, region: "us-east-1", maxAttempts: 1 });
    const failure = await client.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: "arn:aws:iam::000000000000:role/reader", RoleSessionName: "s", WebIdentityToken: "token" })).then(
      () => undefined,
      (error: Error & { $metadata?: { httpStatusCode?: number } }) => error,
    );
    expect(failure?.name).toBe("InvalidAction");
    expect(failure?.message).toContain("SESSION_TOKEN_KEY is not set");
    expect(failure?.$metadata?.httpStatusCode).toBe(400);
  });

  it("leaves S3 alone: forms without an Action, POST / with a query, ListBuckets and the buckets", async () => {
    expect((await form({ something: "else" })).headers.get("content-type")).not.toBe("text/xml");
    const withQuery = await form({ Action: "AssumeRoleWithWebIdentity" }, "?delete");
    expect(await withQuery.text()).not.toContain("ErrorResponse");
    const list = await fetch(`${endpoint}/`);
    expect(list.status).toBe(200);
    expect(await list.text()).toContain("<ListAllMyBucketsResult");
    expect((await fetch(`${endpoint}/data?list-type=2`)).status).toBe(200);
  });

  it("follows a configured STS path, and refuses `/` as one (as the enabled route does)", () => {
    expect(stsDisabledRoutes("/sts/")[0]!.path).toEqual(/^\/sts\/?$/);
    expect(() => stsDisabledRoutes("/")).toThrow('STS path must start with "/"');
  });
});
