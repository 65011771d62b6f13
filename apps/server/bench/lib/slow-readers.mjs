/** Many clients reading one large object slowly at once: a streaming proxy's memory must not grow with them. */
import { Agent, request } from "undici";

/** `readers` GETs of `url` at once, each read at `bytesPerSecond`, for `seconds`; then all abort. */
export async function slowReaders(url, { readers, seconds, bytesPerSecond }) {
  const dispatcher = new Agent({ connections: readers });
  const controller = new AbortController();
  let bytes = 0;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const one = async () => {
    try {
      const response = await request(url, { dispatcher, signal: controller.signal, highWaterMark: 16 * 1024 });
      for await (const chunk of response.body) {
        bytes += chunk.length;
        await sleep((chunk.length / bytesPerSecond) * 1000);
      }
    } catch {
      // Aborted at the end, as intended.
    }
  };
  const all = Promise.all(Array.from({ length: readers }, one));
  await sleep(seconds * 1000);
  controller.abort();
  await all;
  await dispatcher.destroy();
  return { megabytes: bytes / 1e6 };
}
