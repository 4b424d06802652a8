type DateTimeFormatArgs = ConstructorParameters<typeof Intl.DateTimeFormat>;

/**
 * An `Intl.DateTimeFormat` that creates the real one on first use: same arguments, same answers. Only objects
 * created while {@link loadNestCommon} imports Nest are of this kind; `Intl.DateTimeFormat` is the real one again
 * as soon as the import finishes.
 */
export class DeferredDateTimeFormat {
  readonly #original: typeof Intl.DateTimeFormat;
  readonly #args: DateTimeFormatArgs;
  #format: Intl.DateTimeFormat | undefined;

  constructor(original: typeof Intl.DateTimeFormat, ...args: DateTimeFormatArgs) {
    this.#original = original;
    this.#args = args;
  }

  /** Whether the real formatter exists yet. */
  get created(): boolean {
    return this.#format !== undefined;
  }

  private get real(): Intl.DateTimeFormat {
    this.#format ??= new this.#original(...this.#args);
    return this.#format;
  }

  format(date?: Date | number): string {
    return this.real.format(date);
  }

  formatToParts(date?: Date | number): Intl.DateTimeFormatPart[] {
    return this.real.formatToParts(date);
  }

  formatRange(startDate: Date | number, endDate: Date | number): string {
    return this.real.formatRange(startDate, endDate);
  }

  formatRangeToParts(startDate: Date | number, endDate: Date | number): Intl.DateTimeRangeFormatPart[] {
    return this.real.formatRangeToParts(startDate, endDate);
  }

  resolvedOptions(): Intl.ResolvedDateTimeFormatOptions {
    return this.real.resolvedOptions();
  }
}

/**
 * Imports `@nestjs/common` with the `Intl.DateTimeFormat`s it creates at import time (for the local-time stamps
 * of its console logger) deferred until they are first used. Creating a date formatter loads ICU's locale,
 * calendar and time-zone data: ~8 MB of resident memory in every service (6.6 MB of the Node binary's pages
 * and 1.7 MB of heap, measured on Node 24), for formatters the services never call, since their logger stamps
 * lines in ISO 8601 (`ServiceLogger`). Once Nest is loaded, `Intl.DateTimeFormat` is restored; Nest's later
 * imports of itself find it in the module cache.
 */
export async function loadNestCommon(): Promise<void> {
  const original = Intl.DateTimeFormat;
  // As the built-in property is: writable, configurable, not enumerable.
  const install = (value: unknown) => Object.defineProperty(Intl, 'DateTimeFormat', { value, writable: true, configurable: true, enumerable: false });
  install(function DateTimeFormat(...args: DateTimeFormatArgs) {
    return new DeferredDateTimeFormat(original, ...args);
  });
  try {
    await import('@nestjs/common');
  } finally {
    install(original);
  }
}
