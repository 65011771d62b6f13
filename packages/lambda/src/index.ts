/**
 * `@multistore/lambda`: Multistore on AWS Lambda, behind an API Gateway HTTP API or a Function URL (payload format
 * 2.0). `createLambdaHandler(gateway)` is the handler; see README.md for a deployment.
 */
export { createLambdaHandler, LAMBDA_PAYLOAD_BYTES, type LambdaHandlerOptions } from "./handler.js";
export { requestFromEvent, type EventRequest, type LambdaHttpEvent, type LambdaHttpResult } from "./event.js";
export { createLambdaStreamingHandler, LAMBDA_STREAMED_RESPONSE_BYTES, type AwsLambdaStreamingApi, type LambdaResponseStream, type LambdaStreamingOptions } from "./streaming.js";
