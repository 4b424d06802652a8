/**
 * Polls `probe` until it gives a value, for effects that happen in another service or process. Fails with
 * `what` after `timeoutMs`, so a broken pipeline fails its test instead of hanging it; the limit bounds a
 * wait, it asserts nothing about speed.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
