/** Assertions on the S3Error an action throws. */
import { expect } from "vitest";
import { S3Error } from "../../src/index.js";

/** The S3Error a call throws (fails the test when it does not throw one). */
export function thrown(action: () => unknown): S3Error {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(S3Error);
    return error as S3Error;
  }
  throw new Error("expected an S3Error");
}

/** The S3Error a promise rejects with (fails the test when it resolves). */
export async function rejected(promise: Promise<unknown>): Promise<S3Error> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(S3Error);
    return error as S3Error;
  }
  throw new Error("expected an S3Error");
}
