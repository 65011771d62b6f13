/** GetObjectTagging racing overwrites: a stat whose sidecar entry was pushed out is looked at again, not read as no tags. */
import { describe, expect, it, vi } from "vitest";
import { freshBackend, put } from "./test-support.js";

const hooks = vi.hoisted(() => ({ beforeStat: undefined as (() => Promise<void>) | undefined }));
vi.mock("../src/object-read.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../src/object-read.js")>();
  return {
    ...original,
    statObject: async (...args: Parameters<typeof original.statObject>) => {
      const state = await original.statObject(...args);
      // Runs between the stat (done) and the caller's use of it: as if overwrites landed in between.
      const hook = hooks.beforeStat;
      hooks.beforeStat = undefined;
      await hook?.();
      return state === undefined ? state : { ...state, entry: hook === undefined ? state.entry : undefined, headers: hook === undefined ? state.headers : {} };
    },
  };
});

describe("fs backend tags under overwrites", () => {
  it("looks again when the entry of the file it saw was pushed out by overwrites", async () => {
    const { backend } = await freshBackend();
    await put(backend, "k", "one", { "x-amz-tagging": "v=1" });
    // The first look finds the entry gone (two overwrites replaced the file it saw); the second sees the newest file.
    hooks.beforeStat = async () => {
      await put(backend, "k", "two", { "x-amz-tagging": "v=2" });
      await put(backend, "k", "three", { "x-amz-tagging": "v=3" });
    };
    expect((await backend.getObjectTagging!("k")).tags).toEqual([{ key: "v", value: "3" }]);
  });
});
