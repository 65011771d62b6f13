/**
 * Streaming decoder for `Content-Encoding: aws-chunked` bodies (the framing AWS SDKs use for streamed uploads:
 * `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`). Runtime-free: runtimes wrap
 * it in a Node Transform or a web TransformStream. Signed chunks are held until their signature is verified, so no
 * unverified byte ever reaches a backend; unsigned chunks pass straight through.
 */
import { S3Error } from "./errors.js";
import { EMPTY_SHA256, sha256Hex } from "./sigv4/canonical-request.js";
import { signHex } from "./sigv4/signing-key.js";
import type { VerifiedSignature } from "./sigv4/verify.js";
import { concatBytes, timingSafeEqual } from "./encoding.js";

/** Payload hash markers that mean the body is aws-chunked. */
export const STREAMING_PAYLOADS = [
  "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
] as const;

/** How a body is framed. */
export interface AwsChunkedEncoding {
  /** Chunks carry signatures chained from the seed signature. */
  signed?: VerifiedSignature;
  /** Trailing headers (checksums) follow the last chunk. */
  trailer: boolean;
  /** `x-amz-decoded-content-length`, when the client sent it. */
  decodedLength?: number;
}

const MAX_LINE = 4096;
/**
 * The trailer section's bounds. S3 sends one checksum trailer (plus its signature when signed); a client that keeps
 * sending trailer lines would otherwise be read, and kept, without end.
 */
export const MAX_TRAILER_LINES = 4;
/** The trailer section's size bound in bytes, line ends included. */
export const MAX_TRAILER_BYTES = 4096;
/** Largest signed chunk we hold for verification; AWS clients use 64 KiB to 8 MiB. */
const MAX_SIGNED_CHUNK = 16 * 1024 * 1024;
const CR = 13;
const LF = 10;

function malformed(message: string): S3Error {
  return new S3Error("IncompleteBody", { status: 400, message: `Malformed aws-chunked body: ${message}` });
}

function trailerTooLarge(): S3Error {
  return new S3Error("MalformedTrailerError", {
    status: 400,
    message: `The trailer section may hold at most ${MAX_TRAILER_LINES} lines and ${MAX_TRAILER_BYTES} bytes.`,
  });
}

type State = "size" | "data" | "data-end" | "trailer" | "done";

/** Incremental aws-chunked decoder: `push` bytes in order, then `finish`. */
export class AwsChunkedDecoder {
  private state: State = "size";
  private line: number[] = [];
  private remaining = 0;
  private chunkSignature: string | undefined;
  private previousSignature: string | undefined;
  private held: Uint8Array[] = [];
  private readonly trailerLines: string[] = [];
  private trailerBytes = 0;
  /** Decoded bytes so far. */
  decodedBytes = 0;
  /** Trailing headers, lowercase names, once finished. */
  readonly trailers = new Map<string, string>();

  constructor(private readonly encoding: AwsChunkedEncoding) {
    this.previousSignature = encoding.signed?.signature;
  }

  /** Consumes bytes; returns the object bytes they completed (views into `bytes` where possible). */
  async push(bytes: Uint8Array): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    let offset = 0;
    while (offset < bytes.length) {
      if (this.state === "data") {
        const take = Math.min(this.remaining, bytes.length - offset);
        const slice = bytes.subarray(offset, offset + take);
        offset += take;
        this.remaining -= take;
        if (this.encoding.signed) this.held.push(slice.slice());
        else {
          this.count(slice.length);
          out.push(slice);
        }
        if (this.remaining === 0) this.state = "data-end";
        continue;
      }
      if (this.state === "done") throw malformed("data after the final chunk");
      const byte = bytes[offset++]!;
      if (byte !== LF) {
        if (this.line.length >= MAX_LINE) throw malformed("line too long");
        if (this.state === "trailer" && this.trailerBytes + this.line.length >= MAX_TRAILER_BYTES) throw trailerTooLarge();
        this.line.push(byte);
        continue;
      }
      if (this.line[this.line.length - 1] !== CR) throw malformed("expected CRLF");
      const text = String.fromCharCode(...this.line.slice(0, -1));
      this.line = [];
      await this.onLine(text, out);
    }
    return out;
  }

  private async onLine(text: string, out: Uint8Array[]): Promise<void> {
    if (this.state === "data-end") {
      if (text !== "") throw malformed("chunk data longer than its declared size");
      await this.completeChunk(out);
      this.state = "size";
      return;
    }
    if (this.state === "trailer") {
      if (text === "") {
        await this.verifyTrailer();
        this.state = "done";
      } else {
        if (this.trailerLines.length >= MAX_TRAILER_LINES) throw trailerTooLarge();
        this.trailerLines.push(text);
        this.trailerBytes += text.length + 2;
      }
      return;
    }
    const match = /^([0-9a-fA-F]{1,16})(?:;chunk-signature=([0-9a-f]{64}))?$/.exec(text);
    if (!match) throw malformed("bad chunk header");
    const size = parseInt(match[1]!, 16);
    this.chunkSignature = match[2];
    if (this.encoding.signed && !this.chunkSignature) throw malformed("missing chunk-signature");
    if (this.encoding.signed && size > MAX_SIGNED_CHUNK) throw malformed("chunk too large");
    if (size === 0) {
      await this.completeChunk(out);
      this.state = "trailer";
      // Without trailers the final chunk is followed by one empty line, which the trailer state accepts as its end.
      return;
    }
    this.remaining = size;
    this.state = "data";
  }

  private async completeChunk(out: Uint8Array[]): Promise<void> {
    const signed = this.encoding.signed;
    if (signed) {
      const data = concatBytes(this.held);
      this.held = [];
      const stringToSign = [
        "AWS4-HMAC-SHA256-PAYLOAD",
        signed.amzDate,
        signed.scope,
        this.previousSignature,
        EMPTY_SHA256,
        await sha256Hex(data),
      ].join("\n");
      const expected = await signHex(signed.key, stringToSign);
      if (!timingSafeEqual(expected, this.chunkSignature ?? "")) throw new S3Error("SignatureDoesNotMatch");
      this.previousSignature = expected;
      this.count(data.length);
      if (data.length > 0) out.push(data);
    }
  }

  private async verifyTrailer(): Promise<void> {
    let trailerSignature: string | undefined;
    const canonical: string[] = [];
    for (const line of this.trailerLines) {
      const colon = line.indexOf(":");
      if (colon <= 0) throw malformed("bad trailer line");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "x-amz-trailer-signature") trailerSignature = value;
      else {
        this.trailers.set(name, value);
        canonical.push(`${name}:${value}\n`);
      }
    }
    const signed = this.encoding.signed;
    if (signed && this.encoding.trailer) {
      const stringToSign = [
        "AWS4-HMAC-SHA256-TRAILER",
        signed.amzDate,
        signed.scope,
        this.previousSignature,
        await sha256Hex(canonical.join("")),
      ].join("\n");
      const expected = await signHex(signed.key, stringToSign);
      if (!timingSafeEqual(expected, trailerSignature ?? "")) throw new S3Error("SignatureDoesNotMatch");
    }
  }

  /**
   * Counts decoded bytes about to be passed on. More than `x-amz-decoded-content-length` fails here, before they go:
   * the backend request was sent with that length, and its client would otherwise fail it as a transport error.
   */
  private count(length: number): void {
    this.decodedBytes += length;
    const declared = this.encoding.decodedLength;
    if (declared !== undefined && this.decodedBytes > declared) {
      throw new S3Error("IncompleteBody", { message: "The body holds more than its x-amz-decoded-content-length." });
    }
  }

  /** Call after the last byte: throws when the body ended early or its length disagrees with the declared one. */
  finish(): void {
    if (this.state !== "done") throw new S3Error("IncompleteBody");
    const declared = this.encoding.decodedLength;
    if (declared !== undefined && declared !== this.decodedBytes) throw new S3Error("IncompleteBody");
  }
}

/** Reads the aws-chunked framing of a request from its headers, or undefined when the body is plain. */
export function awsChunkedEncodingOf(headers: Headers, payloadHash: string | undefined, signed?: VerifiedSignature): AwsChunkedEncoding | undefined {
  const contentEncoding = (headers.get("content-encoding") ?? "").split(",").map((part) => part.trim().toLowerCase());
  const streaming = payloadHash !== undefined && (STREAMING_PAYLOADS as readonly string[]).includes(payloadHash);
  if (!streaming && !contentEncoding.includes("aws-chunked")) return undefined;
  // A digest would describe the framed bytes, which no client hashes: the body would go unchecked against it.
  if (!streaming && payloadHash !== undefined && payloadHash !== "UNSIGNED-PAYLOAD") {
    throw new S3Error("InvalidArgument", {
      message: "An aws-chunked body is signed with a STREAMING-* x-amz-content-sha256 (or UNSIGNED-PAYLOAD), not a digest.",
      details: { ArgumentName: "x-amz-content-sha256" },
    });
  }
  const decoded = headers.get("x-amz-decoded-content-length");
  const decodedLength = decoded !== null && /^\d+$/.test(decoded) ? Number(decoded) : undefined;
  const isSigned = payloadHash?.startsWith("STREAMING-AWS4-HMAC-SHA256-PAYLOAD") ?? false;
  if (isSigned && !signed) throw new S3Error("InvalidRequest", { message: "Signed streaming payloads need a signed request." });
  return {
    trailer: payloadHash?.endsWith("-TRAILER") ?? headers.has("x-amz-trailer"),
    ...(isSigned && signed && { signed }),
    ...(decodedLength !== undefined && { decodedLength }),
  };
}

/** Content-Encoding with `aws-chunked` removed (undefined when nothing remains). */
export function contentEncodingWithoutAwsChunked(value: string | null): string | undefined {
  if (value === null) return undefined;
  const rest = value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "" && part.toLowerCase() !== "aws-chunked");
  return rest.length > 0 ? rest.join(", ") : undefined;
}
