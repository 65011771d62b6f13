/** A fetch for backend tests that records what the backend sends and answers like the XML API would. */

/** One request the backend sent. */
export interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  redirect: RequestRedirect | undefined;
  /** The body as text, when there was one. */
  body?: string;
}

/**
 * Records every request; answers each method with a minimal XML API document (or, with `status`, that status and an
 * `AuthenticationRequired` error for every request).
 */
export function recordingFetch(status?: number): { sent: SentRequest[]; fetchImpl: typeof fetch } {
  const sent: SentRequest[] = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    sent.push({
      method: init.method!,
      url,
      headers: init.headers as Record<string, string>,
      redirect: init.redirect,
      ...(init.body && { body: new TextDecoder().decode(init.body as Uint8Array) }),
    });
    if (status !== undefined) return new Response("<Error><Code>AuthenticationRequired</Code><Message>Authentication required.</Message></Error>", { status });
    const documents: Record<string, string> = {
      POST: "<InitiateMultipartUploadResult><UploadId>u1</UploadId><ETag>\"e\"</ETag></InitiateMultipartUploadResult>",
      GET: "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>",
      PUT: "<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>",
    };
    const headers = { etag: '"0123456789abcdef0123456789abcdef"', "x-goog-generation": "17" };
    return new Response(init.method === "HEAD" || init.method === "DELETE" ? null : (documents[init.method!] ?? ""), { status: init.method === "DELETE" ? 204 : 200, headers });
  }) as unknown as typeof fetch;
  return { sent, fetchImpl };
}
