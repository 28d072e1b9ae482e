import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** File name of the generated development signing secret inside the data directory. */
export const DEV_SECRET_FILE = 'dev-jwt-secret';

/**
 * Returns the development secret kept in `dataDir`, generating 48 random bytes on first
 * use (file mode 0600). Throws when the directory cannot be created or written.
 */
export function loadOrCreateDevSecret(dataDir: string): string {
  const path = join(dataDir, DEV_SECRET_FILE);
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch {
    // not there yet: create it below
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}
