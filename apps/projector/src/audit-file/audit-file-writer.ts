import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** Rotate once the file reaches this size, unless configured (`logging.auditLog.rotateBytes`). */
export const DEFAULT_ROTATE_BYTES = 64 * 1024 ** 2;
const TAIL_CHUNK = 64 * 1024;

/**
 * The JSONL audit file: appends whole batches, each flushed to disk (fdatasync) before the subscription's
 * checkpoint commits, and rotates to `<path>.<ISO time>` once the file reaches its size limit. A batch is either
 * entirely on disk before its checkpoint commits or re-sent after a restart; the file itself says where it
 * stopped (the `eventId` of its last line), so nothing is written twice. A line torn by a crash is cut off.
 */
export class AuditFileWriter {
  private constructor(
    readonly filePath: string,
    private readonly rotateBytes: number,
    private handle: FileHandle,
    private size: number,
  ) {}

  /** Opens (or creates) the file, repairs a torn last line, and tells the `eventId` of the last line written. */
  static async open(filePath: string, rotateBytes = DEFAULT_ROTATE_BYTES): Promise<{ writer: AuditFileWriter; lastEventId: string | undefined }> {
    await mkdir(path.dirname(filePath), { recursive: true });
    const handle = await open(filePath, constants.O_RDWR | constants.O_CREAT | constants.O_APPEND, 0o640);
    let size: number;
    let lastLine: string | undefined;
    try {
      ({ size, lastLine } = await repairAndReadLastLine(handle));
      if (lastLine === undefined) lastLine = await lastLineOfNewestRotation(filePath);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return { writer: new AuditFileWriter(filePath, rotateBytes, handle, size), lastEventId: lastLine === undefined ? undefined : eventIdOf(lastLine, filePath) };
  }

  /** Appends the lines and flushes them to disk; rotates afterwards if the file has reached its limit. */
  async append(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    const buffer = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    let written = 0;
    while (written < buffer.length) written += (await this.handle.write(buffer, written, buffer.length - written)).bytesWritten;
    await this.handle.datasync();
    this.size += buffer.length;
    if (this.size >= this.rotateBytes) await this.rotate();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async rotate(): Promise<void> {
    await this.handle.close();
    const stamp = new Date().toISOString().replace(/:/g, '-');
    let target = `${this.filePath}.${stamp}`;
    for (let n = 1; await exists(target); n += 1) target = `${this.filePath}.${stamp}-${n}`;
    await rename(this.filePath, target);
    this.handle = await open(this.filePath, constants.O_RDWR | constants.O_CREAT | constants.O_APPEND, 0o640);
    await this.handle.sync();
    await syncDirectory(path.dirname(this.filePath));
    this.size = 0;
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function eventIdOf(line: string, filePath: string): string {
  const parsed = JSON.parse(line) as { eventId?: unknown };
  if (typeof parsed.eventId !== 'string') throw new Error(`${filePath}: the last line has no eventId; is this Clawgate's audit file?`);
  return parsed.eventId;
}

/** Cuts a torn (newline-less) tail off and returns the last complete line, reading backwards from the end. */
async function repairAndReadLastLine(handle: FileHandle): Promise<{ size: number; lastLine: string | undefined }> {
  let size = (await handle.stat()).size;
  const lastNewline = await lastNewlineBefore(handle, size);
  if (lastNewline !== size - 1) {
    size = lastNewline + 1;
    await handle.truncate(size);
    await handle.sync();
  }
  if (size === 0) return { size, lastLine: undefined };
  const start = (await lastNewlineBefore(handle, size - 1)) + 1;
  const buffer = Buffer.alloc(size - 1 - start);
  await handle.read(buffer, 0, buffer.length, start);
  return { size, lastLine: buffer.toString('utf8') };
}

/** The byte offset of the last newline before `end`, or -1. */
async function lastNewlineBefore(handle: FileHandle, end: number): Promise<number> {
  let chunkEnd = end;
  while (chunkEnd > 0) {
    const chunkStart = Math.max(0, chunkEnd - TAIL_CHUNK);
    const buffer = Buffer.alloc(chunkEnd - chunkStart);
    await handle.read(buffer, 0, buffer.length, chunkStart);
    const index = buffer.lastIndexOf(0x0a);
    if (index >= 0) return chunkStart + index;
    chunkEnd = chunkStart;
  }
  return -1;
}

async function lastLineOfNewestRotation(filePath: string): Promise<string | undefined> {
  const prefix = `${path.basename(filePath)}.`;
  const rotated = (await readdir(path.dirname(filePath))).filter((name) => name.startsWith(prefix)).sort();
  const newest = rotated.at(-1);
  if (!newest) return undefined;
  const handle = await open(path.join(path.dirname(filePath), newest), constants.O_RDWR);
  try {
    return (await repairAndReadLastLine(handle)).lastLine;
  } finally {
    await handle.close();
  }
}
