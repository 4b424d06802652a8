import { randomFillSync } from 'node:crypto';

// W3C Trace Context (https://www.w3.org/TR/trace-context/), version 00, without any tracing library:
// the OpenTelemetry propagator will later read and write the same two header strings.

export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

export interface TraceContext {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

export interface ParsedTraceparent {
  readonly version: string;
  readonly traceId: string;
  readonly parentId: string;
  readonly flags: string;
}

const VERSION_00_LENGTH = 55;
const TRACEPARENT_PREFIX = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})/;
const ALL_ZEROS = /^0+$/;
const SAMPLED = '01';

/** Parses a `traceparent` header; returns undefined for anything the specification says to ignore. */
export function parseTraceparent(value: string | undefined): ParsedTraceparent | undefined {
  if (value === undefined) return undefined;
  const match = TRACEPARENT_PREFIX.exec(value);
  if (!match) return undefined;
  const [, version = '', traceId = '', parentId = '', flags = ''] = match;
  if (version === 'ff' || ALL_ZEROS.test(traceId) || ALL_ZEROS.test(parentId)) return undefined;
  // Version 00 has exactly four fields; later versions may append fields after a dash.
  const hasValidEnd =
    version === '00'
      ? value.length === VERSION_00_LENGTH
      : value.length === VERSION_00_LENGTH || value[VERSION_00_LENGTH] === '-';
  if (!hasValidEnd) return undefined;
  return { version, traceId, parentId, flags };
}

export function isValidTraceparent(value: string | undefined): value is string {
  return parseTraceparent(value) !== undefined;
}

/** A traceparent that starts a new, sampled trace. */
export function newTraceparent(): string {
  return formatTraceparent(nonZeroHex(16), nonZeroHex(8), SAMPLED);
}

/**
 * A traceparent for a new span inside `parent`'s trace (same trace id and flags, new span id).
 * A missing or invalid parent starts a new trace, as the specification asks of a receiver.
 */
export function childTraceparent(parent: string | undefined): string {
  const parsed = parseTraceparent(parent);
  if (!parsed) return newTraceparent();
  return formatTraceparent(parsed.traceId, nonZeroHex(8), parsed.flags);
}

function formatTraceparent(traceId: string, spanId: string, flags: string): string {
  return `00-${traceId}-${spanId}-${flags}`;
}

/**
 * Random ids come from a pool filled 4 KiB at a time: a span id per hop on every message, and one call into
 * the CSPRNG each was ~2 % of a busy service's CPU. Each byte is used once.
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

function nonZeroHex(byteCount: number): string {
  for (;;) {
    if (poolOffset + byteCount > POOL_SIZE) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    const hex = pool.toString('hex', poolOffset, poolOffset + byteCount);
    poolOffset += byteCount;
    if (!ALL_ZEROS.test(hex)) return hex;
  }
}
