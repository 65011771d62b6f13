/**
 * Where log lines go: a file descriptor (stdout), written in batches. A busy server's request lines leave in one
 * synchronous write when a batch is full, or at most `MAX_DELAY_MS` after the first of them, instead of one write
 * each (a write per request line cost more than the rest of the line, and each woke the log's reader); other lines
 * leave at the end of the event-loop turn that logged them. Each write holds whole
 * lines. Where several processes write to one pipe or socket (cluster workers sharing stdout), a batch is at most
 * PIPE_BUF (4 KiB), so their lines never interleave: such writes are atomic. Lines still queued when the process
 * exits are written by its `exit` handler. A reader that stops reading costs at most one bounded wait: lines are then
 * dropped (counted) until it reads again.
 */
import { fstatSync, writeSync } from "node:fs";

/** The most bytes a write to a pipe shared by several writers may hold (Linux's PIPE_BUF). */
export const SHARED_PIPE_BATCH = 4096;
/** The most bytes one write holds otherwise (one writer, or a file: Linux does not interleave a write to a file). */
export const BATCH = 64 * 1024;
/** How long a write may wait for a full, non-blocking pipe before its lines are dropped (counted in `dropped`). */
const MAX_WAIT_MS = 1000;
/**
 * How long a request line may wait for its batch. Flushing at the end of every event-loop turn wrote a batch per
 * one or two requests on a server doing thousands a second.
 */
const MAX_DELAY_MS = 10;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * The batch size for `fd`: PIPE_BUF when it is a pipe, socket or terminal that other processes write to as well
 * (`shared`), else `BATCH`.
 */
export function batchSizeFor(fd: number, shared: boolean): number {
  if (!shared) return BATCH;
  try {
    const stat = fstatSync(fd);
    // A terminal shared by the cluster's processes does not keep a large write whole either.
    return stat.isFIFO() || stat.isSocket() || stat.isCharacterDevice() ? SHARED_PIPE_BATCH : BATCH;
  } catch {
    return SHARED_PIPE_BATCH;
  }
}

/** A pino destination stream writing lines in batches (see the module comment). */
export class BatchedDestination {
  private pending = "";
  private soon = false;
  private later = false;
  /**
   * Set when a write waited its whole bound and dropped lines: the reader has stalled. Until a write goes through
   * again, lines that do not fit are dropped at once, where waiting a second on every batch would freeze the server.
   */
  private stalled = false;
  /** Lines dropped because the descriptor stayed unwritable (a stalled log reader). */
  dropped = 0;

  /**
   * `batchBytes`: the most one write holds (see `batchSizeFor`); lines are never split, a longer one goes alone.
   * `delayMs`: how long a request line may wait for its batch.
   */
  constructor(
    private readonly fd = 1,
    private readonly batchBytes = SHARED_PIPE_BATCH,
    private readonly delayMs = MAX_DELAY_MS,
    /** How long a write may wait for a full pipe (0: lines that do not fit are dropped at once). */
    private readonly maxWaitMs = MAX_WAIT_MS,
  ) {
    // A pipe or socket must not block a write: a log reader that stops reading would freeze the whole server in
    // the kernel. Node makes standard output non-blocking when it opens it as a stream (never written through
    // here); unopened, it is as the parent left it, usually blocking.
    if (fd === 1) void process.stdout;
    else if (fd === 2) void process.stderr;
    process.once("exit", () => this.flush());
  }

  /**
   * Queues one line (pino passes each with its newline), written at the end of this event-loop turn: warnings,
   * errors and lifecycle messages leave at once.
   */
  write(line: string): boolean {
    this.queue(line);
    if (!this.soon) {
      this.soon = true;
      setImmediate(this.flushSoon).unref();
    }
    return true;
  }

  /** Queues one request line, written within `MAX_DELAY_MS` with the lines that follow it. */
  writeBatched(line: string): void {
    this.queue(line);
    if (!this.later) {
      this.later = true;
      // Unreferenced, as the immediate above: a queued line does not keep a finished process alive (the exit
      // handler writes it).
      setTimeout(this.flushLater, this.delayMs).unref();
    }
  }

  private queue(line: string): void {
    // (Lengths in UTF-16 units, which ASCII lines, the usual, have as many as bytes; `flush` splits a batch that
    // text past ASCII made too long.)
    if (this.pending.length + line.length > this.batchBytes - 96) this.flush();
    this.pending += line;
  }

  private readonly flushSoon = () => {
    this.soon = false;
    this.flush();
  };

  private readonly flushLater = () => {
    this.later = false;
    this.flush();
  };

  /** Writes what is queued now. */
  flush(): void {
    if (this.pending === "" && this.owed === undefined) return;
    const text = this.pending;
    this.pending = "";
    const owed = this.owed;
    this.owed = undefined;
    const bytes = owed === undefined ? Buffer.from(text) : Buffer.concat([owed, Buffer.from(text)]);
    if (bytes.length <= this.batchBytes) {
      this.writeAll(bytes, owed?.length ?? 0);
      return;
    }
    // Batches are counted in UTF-16 units: text past ASCII makes one longer in bytes than a write may hold whole
    // (PIPE_BUF on a shared pipe, where a longer write can interleave with another process's). It leaves in several
    // writes of whole lines, each within the batch (a longer line alone).
    let start = 0;
    let owedLength = owed?.length ?? 0;
    while (start < bytes.length) {
      let end = start + this.batchBytes >= bytes.length ? bytes.length : bytes.lastIndexOf(0x0a, start + this.batchBytes - 1) + 1;
      if (end <= start) end = endOfLine(bytes, start);
      const whole = this.writeAll(bytes.subarray(start, end), owedLength);
      owedLength = 0;
      if (!whole) {
        // The reader stalled: what is left is dropped, as writeAll drops (the end of a begun line is kept).
        this.dropped += countLines(bytes.subarray(end));
        return;
      }
      start = end;
    }
  }

  /**
   * The rest of a line a write stopped in the middle of: written before anything else, so that no line is ever cut
   * short and glued to the next one (a write to a full non-blocking pipe may take part of a batch).
   */
  private owed: Buffer | undefined;

  /**
   * Writes `bytes`, whose first `owedLength` bytes end a line already begun (never dropped). False when the reader
   * stalled and lines were dropped.
   */
  private writeAll(bytes: Buffer, owedLength = 0): boolean {
    let offset = 0;
    // (Stalled: one try, no wait.)
    const deadline = this.stalled ? 0 : Date.now() + this.maxWaitMs;
    while (offset < bytes.length) {
      try {
        offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
        this.stalled = false;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const full = code === "EAGAIN" || code === "EBUSY";
        if (full && Date.now() < deadline) {
          Atomics.wait(sleeper, 0, 0, 1);
          continue;
        }
        if (full) this.stalled = true;
        // Given up: whole lines are dropped (counted); the end of one already begun is kept for the next write.
        const lineEnd = offset < owedLength ? owedLength : offset > 0 && bytes[offset - 1] !== 0x0a ? endOfLine(bytes, offset) : offset;
        if (lineEnd > offset) this.owed = Buffer.from(bytes.subarray(offset, lineEnd));
        this.dropped += countLines(bytes.subarray(lineEnd));
        if (this.owed !== undefined && !this.later && !this.soon) {
          this.later = true;
          setTimeout(this.flushLater, this.delayMs).unref();
        }
        return false;
      }
    }
    return true;
  }
}

function countLines(bytes: Buffer): number {
  let lines = 0;
  for (const byte of bytes) if (byte === 0x0a) lines++;
  return lines;
}

/** The offset just past the line `offset` is in (the end of `bytes` when it has no line feed after it). */
function endOfLine(bytes: Buffer, offset: number): number {
  const feed = bytes.indexOf(0x0a, offset);
  return feed === -1 ? bytes.length : feed + 1;
}
