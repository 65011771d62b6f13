/**
 * Where log lines go: a file descriptor (stdout), written in batches. A busy server's lines leave in one synchronous
 * write when 4 KiB of them are queued, or at most `MAX_DELAY_MS` after the first of them, instead of one write each
 * (a write per request line cost more than the rest of the line, and each woke the log's reader). Each write holds
 * whole lines and at most 4 KiB, so the lines of cluster workers sharing one pipe never interleave: pipe writes up
 * to PIPE_BUF are atomic. Lines still queued when the process exits are written by its `exit` handler.
 */
import { writeSync } from "node:fs";

/** The most bytes one write holds (Linux's PIPE_BUF). */
const MAX_WRITE = 4096;
/** How long a write may wait for a full, non-blocking pipe before its lines are dropped (counted in `dropped`). */
const MAX_WAIT_MS = 1000;
/**
 * How long a line may wait for its batch. Flushing at the end of every event-loop turn wrote a batch per one or two
 * requests on a server doing thousands a second; 10 ms makes batches of whole 4 KiB.
 */
const MAX_DELAY_MS = 10;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** A pino destination stream writing lines in batches (see the module comment). */
export class BatchedDestination {
  private pending = "";
  private scheduled = false;
  /** Lines dropped because the descriptor stayed unwritable (a stalled log reader). */
  dropped = 0;

  constructor(private readonly fd = 1) {
    process.once("exit", () => this.flush());
  }

  /** Queues one line (pino passes each with its newline). */
  write(line: string): boolean {
    if (this.pending.length + line.length > MAX_WRITE - 96) this.flush();
    this.pending += line;
    if (!this.scheduled) {
      this.scheduled = true;
      // Unreferenced: a queued line does not keep an otherwise finished process alive (the exit handler writes it).
      setTimeout(this.flushScheduled, MAX_DELAY_MS).unref();
    }
    return true;
  }

  private readonly flushScheduled = () => {
    this.scheduled = false;
    this.flush();
  };

  /** Writes what is queued now. */
  flush(): void {
    if (this.pending === "") return;
    const text = this.pending;
    this.pending = "";
    this.writeAll(Buffer.from(text));
  }

  private writeAll(bytes: Buffer): void {
    let offset = 0;
    const deadline = Date.now() + MAX_WAIT_MS;
    while (offset < bytes.length) {
      try {
        offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if ((code === "EAGAIN" || code === "EBUSY") && Date.now() < deadline) {
          Atomics.wait(sleeper, 0, 0, 1);
          continue;
        }
        this.dropped += countLines(bytes.subarray(offset));
        return;
      }
    }
  }
}

function countLines(bytes: Buffer): number {
  let lines = 0;
  for (const byte of bytes) if (byte === 0x0a) lines++;
  return lines;
}
