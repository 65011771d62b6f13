/** The S3 behaviour suite: one function, run against every runtime (an endpoint to test). */
import { afterAll, beforeAll, describe } from "vitest";
import { authBehaviour } from "./auth.js";
import { bucketCallBehaviour } from "./bucket-calls.js";
import { bucketSettingBehaviour } from "./bucket-settings.js";
import { copyDeleteBehaviour } from "./copy-delete.js";
import { objectSettingBehaviour } from "./object-settings.js";
import { partCopyBehaviour } from "./part-copy.js";
import { crossStoreCopyBehaviour } from "./cross-store-copy.js";
import { objectTaggingBehaviour } from "./object-tagging.js";
import { aclBehaviour } from "./acl.js";
import { corsBehaviour } from "./cors.js";
import { formUploadBehaviour } from "./form-uploads.js";
import { keyBehaviour } from "./keys.js";
import { listingBehaviour } from "./listing.js";
import { longAnswerBehaviour } from "./long-answers.js";
import { multipartBehaviour } from "./multipart.js";
import { listPartsBehaviour } from "./list-parts.js";
import { listUploadsBehaviour } from "./list-uploads.js";
import { objectAttributesBehaviour } from "./object-attributes.js";
import { objectPartsBehaviour } from "./object-parts.js";
import { partStoreBehaviour } from "./part-store.js";
import { objectBehaviour } from "./objects.js";
import { payloadBehaviour } from "./payloads.js";
import { pmtilesBehaviour, rangeReaderBehaviour } from "./range-readers.js";
import { storageClassBehaviour } from "./storage-classes.js";
import { startWorld, type NativeBucket, type RuntimeExceptions, type StartGateway, type World } from "./setup.js";

/**
 * Runs the whole behaviour suite against a runtime. `native` says how the runtime's own backend is configured
 * (fs directories by default; R2 bindings on Workers).
 */
export function runS3BehaviourSuite(
  name: string,
  start: StartGateway,
  options: { native?: NativeBucket; exceptions?: RuntimeExceptions } = {},
): void {
  describe(`S3 behaviour: ${name}`, () => {
    let world: (World & { close(): Promise<void> }) | undefined;
    beforeAll(async () => {
      world = await startWorld(start, options);
    }, 120_000);
    afterAll(async () => {
      await world?.close();
    }, 60_000);
    const current = () => {
      if (!world) throw new Error("the behaviour world did not start");
      return world;
    };
    objectBehaviour(current);
    listingBehaviour(current);
    bucketCallBehaviour(current);
    bucketSettingBehaviour(current);
    multipartBehaviour(current);
    listPartsBehaviour(current);
    listUploadsBehaviour(current);
    objectAttributesBehaviour(current);
    objectPartsBehaviour(current);
    copyDeleteBehaviour(current);
    objectSettingBehaviour(current);
    storageClassBehaviour(current);
    partCopyBehaviour(current);
    crossStoreCopyBehaviour(current);
    objectTaggingBehaviour(current);
    aclBehaviour(current);
    authBehaviour(current);
    keyBehaviour(current);
    corsBehaviour(current);
    formUploadBehaviour(current);
    payloadBehaviour(current);
    rangeReaderBehaviour(current);
    pmtilesBehaviour(current);
    longAnswerBehaviour(start, options.native);
    partStoreBehaviour(start);
  });
}
