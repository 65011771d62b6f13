/** The shared S3 behaviour suite against the Node server (in process, on 127.0.0.1). */
import { parseConfig } from "@multistore/config";
import { runS3BehaviourSuite } from "@multistore/testing";
import { createLogger, createMultistoreServer } from "../src/index.js";

runS3BehaviourSuite("node server", async (config, options) => {
  const server = createMultistoreServer({
    config: parseConfig(config),
    logger: createLogger("silent"),
    ...(options.domain && { domain: options.domain }),
    ...(options.keepAlive && { keepAlive: options.keepAlive }),
  });
  const { port } = await server.listen(0, "127.0.0.1");
  return { endpoint: `http://127.0.0.1:${port}`, close: () => server.close() };
});
