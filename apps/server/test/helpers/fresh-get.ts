/** A GET on a connection of its own: a cluster's primary hands each new connection to the next worker in turn. */
import { request as httpRequest } from "node:http";

/** Sends the GET on a fresh connection and resolves to its status once the body is read. */
export function getFresh(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent: false, headers: { connection: "close" } }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    })
      .on("error", reject)
      .end();
  });
}
