/**
 * Both builds of the GCS backend run the shared contract against the GCS test server: with a service account key
 * (the server checks every signature) and with direct resource access (the server accepts only live tokens of the
 * local Google STS, as Cloud Storage accepts federated tokens for roles granted to the federated principal).
 */
import { runBackendContract, startGcsTestServer, startGoogleFederationEndpoint, startOidcIssuer } from "@multistore/testing";
import { expect } from "vitest";
import { createGcsBackend as createNodeBackend, type FederatedAccessToken } from "../src/node.js";
import { createGcsBackend as createWorkerBackend } from "../src/worker.js";

const PROVIDER = "projects/123456789/locations/global/workloadIdentityPools/contract/providers/multistore";

/** A cached federated token of the local STS, renewed a minute before it expires (what the oidc provider does). */
function federatedTokens(stsEndpoint: string, subjectToken: () => Promise<string>): () => Promise<FederatedAccessToken> {
  let cached: Promise<FederatedAccessToken> | undefined;
  let expiresAt = 0;
  return () => {
    if (!cached || expiresAt - 60_000 < Date.now()) {
      cached = (async () => {
        const form = new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
          subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
          requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
          audience: `//iam.googleapis.com/${PROVIDER}`,
          subject_token: await subjectToken(),
        });
        const answer = (await (await fetch(stsEndpoint, { method: "POST", body: form })).json()) as { access_token: string; expires_in: number };
        expiresAt = Date.now() + answer.expires_in * 1000;
        return { accessToken: answer.access_token, expiresAt: new Date(expiresAt) };
      })();
    }
    return cached;
  };
}

for (const [build, create] of [["node", createNodeBackend], ["worker", createWorkerBackend]] as const) {
  runBackendContract({
    name: `gcs (${build} build) on the GCS test server`,
    async setup() {
      const server = await startGcsTestServer({ buckets: ["contract"] });
      const backend = create({ bucket_name: "contract", endpoint: server.endpoint, service_account_key: server.serviceAccountKey });
      return { backend, cleanup: () => server.close() };
    },
    // Conditional writes map to generation preconditions and aborts to the XML API's DELETE ?uploadId; the server
    // implements both as documented, so nothing is left out.
    capabilities: { conditionalWrites: true, abortMultipart: true, listParts: true, listUploads: true, partCopy: true },
  });

  runBackendContract({
    name: `gcs (${build} build) with direct resource access (federated bearer token) on the GCS test server`,
    async setup() {
      const issuer = await startOidcIssuer();
      const keyHolder = await startGcsTestServer({ buckets: [] });
      const google = await startGoogleFederationEndpoint({ issuer: issuer.issuer, jwksUri: `${issuer.issuer}/jwks`, workloadIdentityProvider: PROVIDER, serviceAccountKey: keyHolder.serviceAccountKey });
      const server = await startGcsTestServer({ buckets: ["contract"], acceptBearer: (token) => google.isFederatedToken(token) });
      const accessToken = federatedTokens(google.stsEndpoint, () => issuer.mint({ sub: "s3-proxy", aud: `https://iam.googleapis.com/${PROVIDER}` }));
      const backend = create({ bucket_name: "contract", endpoint: server.endpoint, auth_type: "oidc", workload_identity_provider: PROVIDER }, { accessToken });
      return {
        backend,
        async cleanup() {
          try {
            // Everything went with the bearer token and nothing was signed (no V4 query, no signBlob).
            expect(server.requests.length).toBeGreaterThan(20);
            expect(server.requests.filter((request) => request.auth !== "bearer" || request.query.some(([name]) => name.startsWith("X-Goog-")))).toEqual([]);
            expect(google.signatures).toEqual([]);
          } finally {
            await Promise.all([server.close(), google.close(), keyHolder.close(), issuer.close()]);
          }
        },
      };
    },
    capabilities: { conditionalWrites: true, abortMultipart: true, listParts: true, listUploads: true, partCopy: true },
  });
}
