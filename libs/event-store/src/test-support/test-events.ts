import { randomUUID } from 'node:crypto';
import { type EventMetadata, type NewEvent } from '#contracts';

export const testMetadata: EventMetadata = {
  correlationId: 'msg-1',
  causationId: 'msg-1',
  actor: { kind: 'user', id: 'u-1', channel: 'telegram' },
  service: 'test',
};

/** An event with a fresh random id unless one is given. */
export function testEvent(data: object = { n: 1 }, overrides: Partial<NewEvent> = {}): NewEvent {
  return { eventId: randomUUID(), type: 'TestHappened', schemaVersion: 1, data, metadata: testMetadata, ...overrides };
}
