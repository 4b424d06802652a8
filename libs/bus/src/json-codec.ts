import { BusArgumentError, errorMessage } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeJson(value: unknown, what: string): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new BusArgumentError(`${what} cannot be encoded as JSON: ${errorMessage(error)}`, { cause: error });
  }
  if (text === undefined) {
    throw new BusArgumentError(`${what} cannot be encoded as JSON: got ${typeof value}`);
  }
  return encoder.encode(text);
}

export type DecodedJson = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly detail: string };

export function decodeJson(data: Uint8Array): DecodedJson {
  try {
    return { ok: true, value: JSON.parse(decoder.decode(data)) };
  } catch (error) {
    return { ok: false, detail: errorMessage(error) };
  }
}

/** The payload as text for a report; bytes that are not UTF-8 are replaced. */
export function payloadText(data: Uint8Array): string {
  return new TextDecoder('utf-8').decode(data);
}
