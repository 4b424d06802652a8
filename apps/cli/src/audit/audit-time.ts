/** Thrown for a time a person must fix; the command exits 2 with the message. */
export class BadAuditInput extends Error {}

const RELATIVE = /^(\d+)([dhm])$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

/**
 * `2026-11-01`, `2026-11-01T09:30:00Z` (a date or time without a zone is UTC) or a duration back from `now`:
 * `7d`, `12h`, `30m`.
 */
export function parseAuditTime(flag: string, value: string, now: Date): Date {
  const relative = RELATIVE.exec(value);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]);
  if (ISO_DATE.test(value)) {
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(value) && value.includes(':') && /[T ]/.test(value);
    const normalized = value.replace(' ', 'T');
    const time = new Date(hasZone ? normalized : normalized.length === 10 ? `${normalized}T00:00:00Z` : `${normalized}Z`);
    if (!Number.isNaN(time.getTime())) return time;
  }
  throw new BadAuditInput(`${flag} "${value}" is not a time: use 2026-11-01, 2026-11-01T09:30:00Z, or 7d / 12h / 30m back from now`);
}
