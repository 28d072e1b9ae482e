import { createHash } from 'node:crypto';

/**
 * The key an account is counted under: SHA-256 of the normalised (trimmed, lower-cased)
 * email, 32 hex characters. The raw email never reaches the store or Redis.
 */
export function hashAccount(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 32);
}
