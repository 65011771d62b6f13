/**
 * The Node build's control-request signer: @smithy/signature-v4 is imported by the first signed request, once for
 * requests that start together (a failed import: deferred-signer-missing.test.ts).
 */
import { MockAgent } from "undici";
import { afterEach, describe, expect, it, vi } from "vitest";
import { OPTIONS, XML } from "./helpers/fake-runtime.js";

const smithy = vi.hoisted(() => ({ imports: 0 }));
vi.mock("@smithy/signature-v4", async (importOriginal) => {
  smithy.imports += 1;
  return importOriginal();
});

const list = { prefix: "", maxKeys: 10 };
let agent: MockAgent | undefined;
afterEach(async () => {
  await agent?.close();
  agent = undefined;
});

/** A mock S3 answering every listing, and the authorization headers it received. */
function mockS3(): string[] {
  agent = new MockAgent();
  agent.disableNetConnect();
  const authorizations: string[] = [];
  agent
    .get("https://s3.eu-west-1.amazonaws.com")
    .intercept({ path: () => true, method: "GET" })
    .reply((options) => {
      const headers = options.headers as Record<string, string>;
      authorizations.push(headers.authorization ?? headers.Authorization ?? "");
      return { statusCode: 200, data: `${XML}<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>` };
    })
    .persist();
  return authorizations;
}

describe("the Node build's control-request signer", () => {
  it("is imported by the first signed request, once for requests that start together", async () => {
    const { createS3Backend } = await import("../src/node.js");
    const authorizations = mockS3();
    const backend = createS3Backend({ ...OPTIONS, force_path_style: "true" }, { dispatcher: agent! });
    await backend.prepareObject({ operation: "GetObject", key: "k", headers: new Headers() });
    expect(smithy.imports).toBe(0);
    await Promise.all([backend.listObjects(list), backend.listObjects(list), backend.listObjects(list)]);
    expect(smithy.imports).toBe(1);
    expect(authorizations).toHaveLength(3);
    for (const authorization of authorizations) expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request, /);
  });

});
