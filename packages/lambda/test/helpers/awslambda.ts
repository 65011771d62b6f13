/**
 * Lambda's streaming API as AWS documents its wire format for Function URLs (Lambda's runtime is not here):
 * `streamifyResponse` hands the handler a writable stream, and `HttpResponseStream.from` writes the JSON prelude
 * (status and headers) followed by eight NUL bytes before the body.
 */
import type { AwsLambdaStreamingApi } from "../../src/index.js";

/** The stand-in for the `awslambda` global. */
export const awslambda: AwsLambdaStreamingApi = {
  streamifyResponse: (handler) => handler,
  HttpResponseStream: {
    from(stream, metadata) {
      stream.write(new TextEncoder().encode(JSON.stringify(metadata)));
      stream.write(new Uint8Array(8));
      return stream;
    },
  },
};
