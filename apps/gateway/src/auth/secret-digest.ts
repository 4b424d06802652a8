import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A secret reduced to its SHA-256 digest. Comparing digests of equal length with `timingSafeEqual` takes the
 * same time whatever the presented value is, so neither its content nor its length leaks through timing.
 */
export class SecretDigest {
  private readonly digest: Buffer;

  constructor(secret: string) {
    this.digest = digestOf(secret);
  }

  matches(presented: string): boolean {
    return this.matchesDigest(digestOf(presented));
  }

  /** Like `matches`, given the presented value's `digestOf` — to hash it once when comparing it with many secrets. */
  matchesDigest(presented: Buffer): boolean {
    return timingSafeEqual(this.digest, presented);
  }
}

export function digestOf(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
