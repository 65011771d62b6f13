/**
 * The worker build's Azure client: REST calls with fetch, each authorized by its own short-lived service SAS (so the
 * worker needs only the SAS signer, no Shared Key request signing). No Node built-ins.
 */
import { childElement, childElements, childText, DEFAULT_XML_LIMITS, escapeXml, LONG_CONTROL_TIMEOUT_MS, parseXml, type XmlElement } from "@multistore/core/backend";
import { AzureError } from "./azure-errors.js";
import { CONTROL_TIMEOUT_MS, type AzureBlobInfo, type AzureClient, type AzureListedBlob, type AzureListRequest, type ContentHeaders } from "./client.js";
import { azureWriteHeaders, conditionHeaders, type Conditions } from "./header-mapping.js";
import { blobUrl } from "./names.js";
import type { ResolvedAzureOptions } from "./options.js";
import { API_VERSION, SAS_TTL_SECONDS, type SasSigner } from "./sas.js";
import { tagsDocument, tagsHeaderValue, tagsOfDocument } from "./tags.js";

/** What the REST client needs. */
export interface RestClientOptions {
  /** Validated backend options. */
  options: ResolvedAzureOptions;
  /** SAS signer; undefined for unsigned requests. */
  signer: SasSigner | undefined;
  /** HTTP client. */
  fetch: typeof fetch;
  /** Clock for SAS expiry. */
  now: () => Date;
  /** Bound of each call (default `CONTROL_TIMEOUT_MS`). */
  timeoutMs?: number;
}

interface Call {
  method: string;
  /** Blob name; undefined for a container request. */
  blob?: string;
  permissions: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  /** A call that may take minutes (a server-side copy of up to 5 GiB): bounded by `LONG_CONTROL_TIMEOUT_MS`. */
  long?: boolean;
}

/**
 * Parses an answer of Azure's whose size Azure bounds, not its shape: a page of 5000 blobs with their properties and
 * metadata, or a block list of up to 100,000 blocks, has more elements than the default bound (meant for documents
 * clients send). The document is in memory already, so its elements are bounded by its length instead (the
 * smallest element, `<a/>`, takes four characters).
 */
function parseAzureXml(text: string): XmlElement {
  return parseXml(text, { ...DEFAULT_XML_LIMITS, maxElements: Math.max(DEFAULT_XML_LIMITS.maxElements, Math.ceil(text.length / 4)) });
}

function metadataOf(headers: Headers): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of headers) if (name.startsWith("x-ms-meta-")) metadata[name.slice("x-ms-meta-".length)] = value;
  return metadata;
}

/** A blob or prefix name; Azure percent-encodes names XML cannot carry and says so with `Encoded="true"`. */
function nameOf(element: XmlElement): string {
  const name = childElement(element, "Name");
  if (!name) return "";
  return name.attributes.Encoded === "true" ? decodeURIComponent(name.text) : name.text;
}

function listedBlob(element: XmlElement): AzureListedBlob {
  const properties = childElement(element, "Properties");
  const metadata: Record<string, string> = {};
  for (const entry of childElement(element, "Metadata")?.children ?? []) metadata[entry.name] = entry.text;
  return {
    name: nameOf(element),
    etag: (properties && childText(properties, "Etag")) ?? "",
    lastModified: new Date((properties && childText(properties, "Last-Modified")) ?? 0),
    size: Number((properties && childText(properties, "Content-Length")) ?? 0),
    metadata,
    ...(properties && childText(properties, "AccessTier") && { accessTier: childText(properties, "AccessTier") }),
  };
}

/** Creates the REST client of one container. */
export function createRestClient({ options, signer, fetch: send, now, timeoutMs = CONTROL_TIMEOUT_MS }: RestClientOptions): AzureClient {
  const container = options.containerName;

  async function request(call: Call): Promise<Response> {
    const query = Object.entries(call.query ?? {}).map(([name, value]) => `${name}=${encodeURIComponent(value)}`);
    if (signer) {
      const expiresOn = new Date(now().getTime() + SAS_TTL_SECONDS * 1000);
      query.push(await signer.sign({ container, ...(call.blob !== undefined && { blob: call.blob }), permissions: call.permissions, expiresOn }));
    }
    const url = blobUrl(options.endpoint, container, call.blob);
    const headers = { "x-ms-version": API_VERSION, ...call.headers };
    // Bounded, the answer's body included (read under the same signal); an abort is a network failure.
    const init: RequestInit = { method: call.method, headers, signal: AbortSignal.timeout(call.long ? Math.max(timeoutMs, LONG_CONTROL_TIMEOUT_MS) : timeoutMs), ...(call.body !== undefined && { body: call.body }) };
    // Network failures propagate as they are: the backend turns them into 503.
    return send(query.length === 0 ? url : `${url}?${query.join("&")}`, init);
  }

  /** The response when it succeeded; an AzureError otherwise (`missing` codes give undefined instead). */
  async function expect(response: Response, missing: string[] = []): Promise<Response | undefined> {
    if (response.ok) return response;
    const text = await response.text().catch(() => "");
    const code = response.headers.get("x-ms-error-code") ?? /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
    if (response.status === 404 && (code === undefined ? missing.length > 0 : missing.includes(code))) return undefined;
    throw new AzureError(response.status, code, /<Message>([^<]*)<\/Message>/.exec(text)?.[1]);
  }

  async function expectOk(response: Response): Promise<Response> {
    return (await expect(response))!;
  }

  /** Succeeds or throws, reading the (small or empty) body so the connection is released. */
  async function expectDone(response: Response): Promise<Response> {
    await (await expectOk(response)).arrayBuffer();
    return response;
  }

  return {
    async listBlobs(list: AzureListRequest) {
      const query: Record<string, string> = { restype: "container", comp: "list", include: "metadata", maxresults: String(list.maxResults) };
      if (list.prefix) query.prefix = list.prefix;
      if (list.delimiter) query.delimiter = list.delimiter;
      if (list.marker) query.marker = list.marker;
      if (list.startFrom) query.startFrom = list.startFrom;
      const response = await expectOk(await request({ method: "GET", permissions: "l", query }));
      const root = parseAzureXml(await response.text());
      const blobs = childElement(root, "Blobs");
      const nextMarker = childText(root, "NextMarker");
      return {
        blobs: blobs ? childElements(blobs, "Blob").map(listedBlob) : [],
        prefixes: blobs ? childElements(blobs, "BlobPrefix").map(nameOf) : [],
        ...(nextMarker && { nextMarker }),
      };
    },

    async uncommittedBlocks(blob) {
      const response = await expect(await request({ method: "GET", blob, permissions: "r", query: { comp: "blocklist", blocklisttype: "uncommitted" } }), ["BlobNotFound"]);
      if (!response) return [];
      const list = childElement(parseAzureXml(await response.text()), "UncommittedBlocks");
      return (list ? childElements(list, "Block") : []).map((block) => ({ name: childText(block, "Name") ?? "", size: Number(childText(block, "Size") ?? 0) }));
    },

    async commitBlocks(blob, blockIds, contentHeaders: ContentHeaders, metadata, conditions: Conditions, tags, tier) {
      const body = `<?xml version="1.0" encoding="utf-8"?><BlockList>${blockIds.map((id) => `<Uncommitted>${escapeXml(id)}</Uncommitted>`).join("")}</BlockList>`;
      const tagged = tagsHeaderValue(tags);
      const headers = { "content-type": "application/xml", ...azureWriteHeaders({ headers: contentHeaders, metadata }), ...conditionHeaders(conditions), ...(tagged && { "x-ms-tags": tagged }), ...(tier && { "x-ms-access-tier": tier }) };
      // Tags set with a write need the SAS's tag permission too.
      const response = await expectDone(await request({ method: "PUT", blob, permissions: tagged ? "cwt" : "cw", query: { comp: "blocklist" }, headers, body }));
      const lastModified = response.headers.get("last-modified");
      return { etag: response.headers.get("etag") ?? "", ...(lastModified && { lastModified: new Date(lastModified) }) };
    },

    async putText(blob, text, metadata = {}) {
      const headers: Record<string, string> = { "x-ms-blob-type": "BlockBlob", "x-ms-blob-content-type": "application/json" };
      for (const [name, value] of Object.entries(metadata)) headers[`x-ms-meta-${name}`] = value;
      await expectDone(await request({ method: "PUT", blob, permissions: "cw", headers, body: text }));
    },

    async getText(blob) {
      const response = await expect(await request({ method: "GET", blob, permissions: "r" }), ["BlobNotFound"]);
      return response?.text();
    },

    async deleteBlob(blob) {
      const response = await expect(await request({ method: "DELETE", blob, permissions: "d", headers: { "x-ms-delete-snapshots": "include" } }), ["BlobNotFound"]);
      await response?.arrayBuffer();
      return response !== undefined;
    },

    async startCopy(blob, sourceUrl, sourceConditions, metadata, conditions, tags = [], tier) {
      const tagged = tagsHeaderValue(tags);
      const headers = {
        "x-ms-copy-source": sourceUrl,
        ...conditionHeaders(sourceConditions, "x-ms-source-"),
        ...conditionHeaders(conditions ?? {}),
        ...azureWriteHeaders({ headers: {}, metadata: metadata ?? {} }),
        ...(tagged && { "x-ms-tags": tagged }),
        ...(tier && { "x-ms-access-tier": tier }),
      };
      const response = await expectDone(await request({ method: "PUT", blob, permissions: tagged ? "cwt" : "cw", headers }));
      return response.headers.get("x-ms-copy-status") ?? "success";
    },

    async stageBlockFromUrl(blob, blockId, sourceUrl, range) {
      const headers: Record<string, string> = { "x-ms-copy-source": sourceUrl, "content-length": "0" };
      if (range) headers["x-ms-source-range"] = `bytes=${range.offset}-${range.offset + range.count - 1}`;
      await expectDone(await request({ method: "PUT", blob, permissions: "w", query: { comp: "block", blockid: blockId }, headers, long: true }));
    },

    async properties(blob): Promise<AzureBlobInfo | undefined> {
      // HEAD answers carry no body: a missing blob is a bare 404.
      const response = await expect(await request({ method: "HEAD", blob, permissions: "r" }), ["BlobNotFound"]);
      if (!response) return undefined;
      const copyStatus = response.headers.get("x-ms-copy-status");
      const tagCount = Number(response.headers.get("x-ms-tag-count") ?? 0);
      const accessTier = response.headers.get("x-ms-access-tier");
      return {
        etag: response.headers.get("etag") ?? "",
        lastModified: new Date(response.headers.get("last-modified") ?? 0),
        size: Number(response.headers.get("content-length") ?? 0),
        metadata: metadataOf(response.headers),
        ...(copyStatus && { copyStatus }),
        ...(tagCount > 0 && { tagCount }),
        ...(accessTier && { accessTier }),
      };
    },

    async setContentHeaders(blob, contentHeaders) {
      await expectDone(await request({ method: "PUT", blob, permissions: "w", query: { comp: "properties" }, headers: azureWriteHeaders({ headers: contentHeaders, metadata: {} }) }));
    },

    async setMetadata(blob, metadata) {
      await expectDone(await request({ method: "PUT", blob, permissions: "w", query: { comp: "metadata" }, headers: azureWriteHeaders({ headers: {}, metadata }) }));
    },

    async getTags(blob) {
      const response = await expect(await request({ method: "GET", blob, permissions: "t", query: { comp: "tags" } }), ["BlobNotFound"]);
      return response && tagsOfDocument(parseXml(await response.text()));
    },

    async setTags(blob, tags) {
      const headers = { "content-type": "application/xml; charset=UTF-8" };
      const response = await expect(await request({ method: "PUT", blob, permissions: "t", query: { comp: "tags" }, headers, body: tagsDocument(tags) }), ["BlobNotFound"]);
      await response?.arrayBuffer();
      return response !== undefined;
    },
  };
}
