/** A connection or client a service opens while it starts. */
export interface Closable {
  close(): Promise<unknown>;
}

/**
 * What a service's module opened while Nest builds it. Nest does not shut down a context whose start failed
 * (a provider factory or a bootstrap hook threw), so whatever the factories had opened stayed open: the
 * process then neither ran nor exited. The start function closes these, last opened first, and rethrows.
 */
export class OpenedResources {
  private readonly opened: Closable[] = [];
  private released = false;

  /** Awaits `opening` and remembers the result for {@link closeAll}. */
  async add<T extends Closable>(opening: Promise<T>): Promise<T> {
    return this.track(await opening);
  }

  /**
   * Remembers `resource` for {@link closeAll}. Nest builds a module's providers side by side, so one can finish
   * opening after another failed and the start was given up: such a late one is closed at once.
   */
  track<T extends Closable>(resource: T): T {
    if (this.released) void resource.close().catch(() => undefined);
    else this.opened.push(resource);
    return resource;
  }

  /** Closes everything added, last first, and anything added later; a failing close does not stop the others. */
  async closeAll(): Promise<void> {
    this.released = true;
    for (const resource of this.opened.splice(0).reverse()) await resource.close().catch(() => undefined);
  }
}

/** Runs `start` with a fresh {@link OpenedResources}; if it fails, closes what was opened and rethrows. */
export async function startOrRelease<T>(start: (opened: OpenedResources) => Promise<T>): Promise<T> {
  const opened = new OpenedResources();
  try {
    return await start(opened);
  } catch (error) {
    await opened.closeAll();
    throw error;
  }
}
