/** `text` with every occurrence of each secret replaced, for logs and recorded errors. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return secrets.filter((secret) => secret.length > 0).reduce((redacted, secret) => redacted.split(secret).join('[redacted]'), text);
}
