/**
 * Everything a runtime does to an upload's body on its way to a backend, runtime-free: aws-chunked de-framing (with
 * chunk and trailer signatures) followed by checksum verification with hold-back (see `BodyVerifier`). Runtimes
 * wrap `RequestBodyDecoder` in a Node Transform; `createRequestBodyStream` is the web TransformStream.
 */
import { AwsChunkedDecoder, type AwsChunkedEncoding } from "./aws-chunked.js";
import type { ChecksumFactories } from "./checksums/algorithms.js";
import type { BodyChecks } from "./checksums/body-checks.js";
import { BodyVerifier } from "./checksums/body-verifier.js";
import { FormFileDecoder, type FormFileFraming } from "./post-object/form-file.js";

/** How a client's body must be decoded and checked (what the gateway resolved from the request's headers). */
export interface BodyPlan {
  /** Set when the body is aws-chunked. */
  bodyEncoding?: AwsChunkedEncoding;
  /** Set when the body must match a hash or checksum. */
  bodyChecks?: BodyChecks;
  /** Set for a browser form upload: the rest of the body after the form's fields, from which the file is cut. */
  formFile?: FormFileFraming;
}

/** Whether a body needs the decoder at all (plain bodies without checks stream untouched). */
export function needsBodyDecoding(plan: BodyPlan): boolean {
  return plan.bodyEncoding !== undefined || plan.bodyChecks !== undefined || plan.formFile !== undefined;
}

/**
 * The length of the body the backend gets: the decoded length of an aws-chunked body, a form upload's file's, else
 * the client's `declared` Content-Length.
 */
export function decodedLengthOf(plan: BodyPlan, declared: number | undefined): number | undefined {
  return plan.bodyEncoding?.decodedLength ?? plan.formFile?.length ?? declared;
}

/**
 * Incremental decoder and verifier: `push` the client's bytes in order, send what it returns, then `finish` and
 * send what that returns. Any error (S3Error: IncompleteBody, SignatureDoesNotMatch, BadDigest, ...) comes before
 * the body's last bytes are released. `factories` replaces hash implementations (native ones are faster).
 */
export class RequestBodyDecoder {
  private readonly chunked: AwsChunkedDecoder | undefined;
  private readonly form: FormFileDecoder | undefined;
  private readonly verifier: BodyVerifier;

  constructor(plan: BodyPlan, factories: Partial<ChecksumFactories> = {}) {
    const chunked = plan.bodyEncoding ? new AwsChunkedDecoder(plan.bodyEncoding) : undefined;
    this.chunked = chunked;
    if (plan.formFile) this.form = new FormFileDecoder(plan.formFile);
    this.verifier = new BodyVerifier(plan.bodyChecks, () => chunked?.trailers ?? new Map(), factories);
  }

  /** Consumes client bytes; returns object bytes that may be sent on. */
  async push(bytes: Uint8Array): Promise<Uint8Array[]> {
    const parts = this.chunked ? await this.chunked.push(bytes) : this.form ? this.form.push(bytes) : [bytes];
    const out: Uint8Array[] = [];
    for (const part of parts) out.push(...(await this.verifier.push(part)));
    return out;
  }

  /** After the last client byte: checks framing, length and checksums; returns the held-back last bytes. */
  async finish(): Promise<Uint8Array[]> {
    this.chunked?.finish();
    const out: Uint8Array[] = [];
    // The form's file's last byte is released only now, once its closing boundary was checked.
    for (const part of this.form?.finish() ?? []) out.push(...(await this.verifier.push(part)));
    out.push(...(await this.verifier.finish()));
    return out;
  }
}

/** A decoding TransformStream plus the first error it hit. */
export interface RequestBodyStream {
  /** Pipe the client's body through it. */
  stream: TransformStream<Uint8Array, Uint8Array>;
  /** The error that stopped it, if any (an S3Error for framing, signature and checksum failures). */
  failure(): unknown;
}

/** The web TransformStream form of `RequestBodyDecoder`. */
export function createRequestBodyStream(plan: BodyPlan, factories: Partial<ChecksumFactories> = {}): RequestBodyStream {
  const decoder = new RequestBodyDecoder(plan, factories);
  let failure: unknown;
  const run = async (step: () => Promise<Uint8Array[]>, controller: TransformStreamDefaultController<Uint8Array>) => {
    try {
      for (const part of await step()) controller.enqueue(part);
    } catch (error) {
      failure ??= error;
      throw error;
    }
  };
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform: (chunk, controller) => run(() => decoder.push(chunk), controller),
    flush: (controller) => run(() => decoder.finish(), controller),
  });
  return { stream, failure: () => failure };
}
