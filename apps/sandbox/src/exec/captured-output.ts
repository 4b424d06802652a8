import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export const DEFAULT_OUTPUT_LIMIT_CHARS = 30_000;

export interface CapturedOutput {
  /** The first `limit` characters. */
  text: string;
  /** Size of the whole output in bytes, however much was kept. */
  bytes: number;
  /** Size of the whole output in characters (UTF-16 code units, as `text.length` counts them). */
  length: number;
  truncated: boolean;
}

/** A sink that keeps the first `limit` characters of a stream and counts every byte of it. */
export class OutputCapture extends Writable {
  private readonly decoder = new StringDecoder('utf8');
  private kept = '';
  private bytes = 0;
  private length = 0;
  private full = false;
  private ended = false;

  constructor(private readonly limit: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    this.keep(this.decoder.write(chunk));
    done();
  }

  /** Adds text produced outside the stream (e.g. a Read's formatted lines), under the same cap. */
  appendText(text: string): void {
    this.bytes += Buffer.byteLength(text);
    this.keep(text);
  }

  result(): CapturedOutput {
    if (!this.ended) this.keep(this.decoder.end());
    this.ended = true;
    return { text: this.kept, bytes: this.bytes, length: this.length, truncated: this.full };
  }

  private keep(text: string): void {
    this.length += text.length;
    if (this.full) return;
    if (this.kept.length + text.length <= this.limit) {
      this.kept += text;
      return;
    }
    this.kept += text.slice(0, this.limit - this.kept.length);
    this.full = true;
  }
}

export function capturedText(text: string, limit: number): CapturedOutput {
  const capture = new OutputCapture(limit);
  capture.appendText(text);
  return capture.result();
}
