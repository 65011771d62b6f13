/**
 * Test harness that runs `@20minutes/s3rver` as a real S3 backend for integration tests.
 *
 * s3rver runs in a child process (`process.execPath --openssl-legacy-provider -e <CHILD_SOURCE>`)
 * because it encrypts ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 only
 * offers with the legacy provider; without it, truncated V2 listings answer 500 InternalError.
 * The child source is inlined so the harness works from `src/` and from a compiled `dist/` alike.
 *
 * Notes for callers (observed with s3rver 5.0.0):
 * - Sign path-style requests against `endpoint` (`http://127.0.0.1:<port>`), service `s3`, any
 *   region. For bucket-level requests s3rver's canonical URI is `/<bucket>` (no trailing slash),
 *   so a client that signs `/<bucket>/` (AWS SDK v3 does) gets 403 SignatureDoesNotMatch.
 * - Requests without any auth are accepted (anonymous); only wrong signatures are rejected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIST_PARTS_SOURCE } from './s3rver-list-parts.js';
import { LIST_UPLOADS_SOURCE } from './s3rver-list-uploads.js';

/** A running s3rver instance and the credentials it accepts. */
export interface S3rverHandle {
  /** Base URL for path-style requests, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  endpoint: string;
  /** Region to sign with; s3rver accepts any region, this is the conventional one. */
  region: string;
  /** Access key id accepted by this instance. */
  accessKeyId: string;
  /** Secret access key accepted by this instance. */
  secretAccessKey: string;
  /** Temporary directory holding s3rver's on-disk store (`<bucket>/<key>._S3rver_object`, ...). */
  directory: string;
  /** Stops the server and removes `directory`. Safe to call more than once. */
  close(): Promise<void>;
}

/** Options for {@link startS3rver}. */
export interface StartS3rverOptions {
  /** Buckets created before the server starts accepting requests. */
  buckets: string[];
  /** Access key id to accept (default `S3RVER`, s3rver's built-in key). */
  accessKeyId?: string;
  /** Secret access key to accept (default `S3RVER`). */
  secretAccessKey?: string;
  /** How long to wait for the server to become ready, in milliseconds (default 15000). */
  startupTimeoutMs?: number;
}

interface ReadyMessage {
  type: 'ready';
  port: number;
}

interface ErrorMessage {
  type: 'error';
  message: string;
}

type ChildMessage = ReadyMessage | ErrorMessage;

const DEFAULT_REGION = 'us-east-1';
const DEFAULT_CREDENTIAL = 'S3RVER';
const CONFIG_ENV = 'MULTISTORE_S3RVER_CONFIG';

/**
 * CommonJS source run by the child (`node -e`). Reads its config from `MULTISTORE_S3RVER_CONFIG`,
 * registers the access key pair in s3rver's module-global account registry (revoking the built-in
 * S3RVER/S3RVER pair when another one is requested), starts the server and reports
 * `{ type: 'ready', port }` or `{ type: 'error', message }` over IPC. It stops on SIGTERM/SIGINT
 * or when the IPC channel to the parent closes (so it never outlives the test process).
 */
const CHILD_SOURCE = `
'use strict';
const path = require('node:path');
const config = JSON.parse(process.env.${CONFIG_ENV});
const send = (message) => { if (process.connected) process.send(message); };
(async () => {
  const S3rver = require(config.modulePath);
  ${LIST_PARTS_SOURCE}
  addListParts(require(path.join(path.dirname(config.modulePath), 'routes.js')), require(path.join(path.dirname(config.modulePath), 'models', 'error.js')), require('node:fs'), path);
  ${LIST_UPLOADS_SOURCE}
  addListUploads(require(path.join(path.dirname(config.modulePath), 'routes.js')), require(path.join(path.dirname(config.modulePath), 'models', 'error.js')), require(path.join(path.dirname(config.modulePath), 'controllers', 'bucket.js')).bucketExists, require('node:fs'), path);
  const { DUMMY_ACCOUNT } = require(path.join(path.dirname(config.modulePath), 'models', 'account.js'));
  if (config.accessKeyId !== 'S3RVER') DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
  DUMMY_ACCOUNT.createKeyPair(config.accessKeyId, config.secretAccessKey);
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: config.directory,
    silent: true,
    vhostBuckets: false,
    allowMismatchedSignatures: false,
    resetOnClose: false,
    configureBuckets: config.buckets.map((name) => ({ name })),
  });
  const address = await server.run();
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 2000).unref();
    server.httpServer.closeAllConnections();
    server.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  send({ type: 'ready', port: address.port });
})().catch((error) => {
  send({ type: 'error', message: String((error && error.stack) || error) });
  process.exitCode = 1;
  process.disconnect?.();
});
`;

function isChildMessage(value: unknown): value is ChildMessage {
  return typeof value === 'object' && value !== null && 'type' in value;
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let stderr = '';
    const onStderr = (chunk: Buffer): void => {
      stderr += chunk.toString('utf8');
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
      child.stderr?.off('data', onStderr);
    };
    const onMessage = (message: unknown): void => {
      if (!isChildMessage(message)) return;
      cleanup();
      if (message.type === 'ready') {
        resolve(message.port);
      } else {
        reject(new Error(`s3rver failed to start: ${message.message}`));
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      reject(new Error(`s3rver exited before it was ready (code ${code}, signal ${signal}): ${stderr}`));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`s3rver was not ready within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.once('error', onError);
    child.stderr?.on('data', onStderr);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(killTimer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts s3rver on 127.0.0.1 with an OS-chosen port, a fresh temporary directory, the given
 * buckets pre-created, logging silenced and signature verification on (a wrong secret gets
 * 403 SignatureDoesNotMatch, an unknown key 403 InvalidAccessKeyId).
 *
 * @example
 * const s3 = await startS3rver({ buckets: ['photos'] });
 * try {
 *   // sign requests to `${s3.endpoint}/photos/key` with s3.accessKeyId / s3.secretAccessKey
 * } finally {
 *   await s3.close();
 * }
 */
export async function startS3rver(options: StartS3rverOptions): Promise<S3rverHandle> {
  const accessKeyId = options.accessKeyId ?? DEFAULT_CREDENTIAL;
  const secretAccessKey = options.secretAccessKey ?? DEFAULT_CREDENTIAL;
  const require = createRequire(import.meta.url);
  const modulePath = require.resolve('@20minutes/s3rver');
  const directory = await mkdtemp(join(tmpdir(), 'multistore-s3rver-'));

  const config = { modulePath, directory, buckets: options.buckets, accessKeyId, secretAccessKey };
  const env: NodeJS.ProcessEnv = { ...process.env, [CONFIG_ENV]: JSON.stringify(config) };
  // Do not inherit the parent's NODE_OPTIONS (e.g. a test runner's loaders) into s3rver.
  delete env['NODE_OPTIONS'];
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD_SOURCE], {
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  child.stderr?.resume();

  let port: number;
  try {
    port = await waitForReady(child, options.startupTimeoutMs ?? 15_000);
  } catch (error) {
    await stopChild(child);
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  // Keep the test process free to exit even if a test forgets close(); the child stops on its own
  // when the IPC channel closes.
  child.unref();
  child.channel?.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region: DEFAULT_REGION,
    accessKeyId,
    secretAccessKey,
    directory,
    close(): Promise<void> {
      closing ??= (async () => {
        await stopChild(child);
        await rm(directory, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
