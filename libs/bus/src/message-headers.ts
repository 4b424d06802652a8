import { headers as createHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { BusArgumentError } from './errors.js';
import { isValidTraceparent, TRACEPARENT_HEADER, TRACESTATE_HEADER, type TraceContext } from './trace-context.js';

export const MSG_ID_HEADER = 'Nats-Msg-Id';

/** Header fields of a received message, plus the parts the bus interprets. */
export interface ReceivedHeaders extends TraceContext {
  /** Every header with its first value, names as sent. */
  readonly headers: Readonly<Record<string, string>>;
  readonly msgId?: string;
}

export interface OutgoingHeaders extends TraceContext {
  readonly headers?: Readonly<Record<string, string>>;
}

// RFC 9110 token characters; NATS headers follow the same syntax as HTTP.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const LINE_BREAK = /[\r\n]/;

/**
 * Builds NATS headers, refusing names the bus sets itself (`Nats-*`, trace context) so a caller cannot
 * override them by accident.
 */
export function encodeHeaders(outgoing: OutgoingHeaders): MsgHdrs | undefined {
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(outgoing.headers ?? {})) {
    assertCustomHeader(name, value);
    entries.push([name, value]);
  }
  if (outgoing.traceparent !== undefined) {
    if (!isValidTraceparent(outgoing.traceparent)) {
      throw new BusArgumentError(
        `traceparent ${JSON.stringify(outgoing.traceparent)} is not a valid W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)`,
      );
    }
    entries.push([TRACEPARENT_HEADER, outgoing.traceparent]);
    if (outgoing.tracestate !== undefined) {
      assertHeaderValue(TRACESTATE_HEADER, outgoing.tracestate);
      entries.push([TRACESTATE_HEADER, outgoing.tracestate]);
    }
  } else if (outgoing.tracestate !== undefined) {
    throw new BusArgumentError('tracestate was given without a traceparent');
  }
  if (entries.length === 0) return undefined;
  const encoded = createHeaders();
  for (const [name, value] of entries) encoded.set(name, value);
  return encoded;
}

/** Reads headers; an invalid traceparent is dropped (with its tracestate), as W3C Trace Context asks. */
export function decodeHeaders(received: MsgHdrs | undefined): ReceivedHeaders {
  const all: Record<string, string> = {};
  let msgId: string | undefined;
  let traceparent: string | undefined;
  let tracestate: string | undefined;
  for (const [name, values] of received ?? []) {
    const value = values[0];
    if (value === undefined) continue;
    all[name] = value;
    const lowerName = name.toLowerCase();
    if (lowerName === MSG_ID_HEADER.toLowerCase()) msgId = value;
    else if (lowerName === TRACEPARENT_HEADER) traceparent = value;
    else if (lowerName === TRACESTATE_HEADER) tracestate = value;
  }
  if (!isValidTraceparent(traceparent)) return { headers: all, msgId };
  return { headers: all, msgId, traceparent, tracestate };
}

function assertCustomHeader(name: string, value: string): void {
  if (!HEADER_NAME.test(name)) {
    throw new BusArgumentError(`header name ${JSON.stringify(name)} is not a valid header token`);
  }
  const lowerName = name.toLowerCase();
  if (lowerName.startsWith('nats-') || lowerName === TRACEPARENT_HEADER || lowerName === TRACESTATE_HEADER) {
    throw new BusArgumentError(
      `header ${JSON.stringify(name)} is set by the bus itself: pass msgId, traceparent or tracestate as options instead`,
    );
  }
  assertHeaderValue(name, value);
}

function assertHeaderValue(name: string, value: string): void {
  if (typeof value !== 'string' || LINE_BREAK.test(value)) {
    throw new BusArgumentError(`header ${JSON.stringify(name)} must be a string without line breaks`);
  }
}
