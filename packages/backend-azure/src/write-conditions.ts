/** A write's own conditions (PutObject's, CopyObject's destination), as S3 evaluates them. */
import { S3Error } from "@multistore/core";
import { azureCall as call } from "./azure-errors.js";
import type { AzureClient } from "./client.js";
import { conditionsOf, type Conditions } from "./header-mapping.js";

/**
 * The destination's write conditions (`If-Match`, `If-None-Match: *`), as a PUT's: an `If-Match` on a key with no
 * object is NoSuchKey, as on S3 (Azure would answer 412).
 */
export async function destinationConditions(client: AzureClient, key: string, headers: Headers): Promise<Conditions | undefined> {
  const { ifMatch, ifNoneMatch } = conditionsOf(headers);
  if (ifMatch === undefined && ifNoneMatch === undefined) return undefined;
  if (ifMatch !== undefined && (await call(() => client.properties(key))) === undefined) throw new S3Error("NoSuchKey");
  return { ...(ifMatch !== undefined && { ifMatch }), ...(ifNoneMatch !== undefined && { ifNoneMatch }) };
}
