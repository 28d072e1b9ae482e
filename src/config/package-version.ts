import { readFileSync } from 'node:fs';

/** The service's version from package.json (e.g. `0.1.0`), `unknown` if it cannot be read. */
export function readPackageVersion(): string {
  try {
    const url = new URL('../../package.json', import.meta.url);
    const parsed: unknown = JSON.parse(readFileSync(url, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'version' in parsed) {
      return typeof parsed.version === 'string' ? parsed.version : 'unknown';
    }
    return 'unknown';
  } catch {
    return 'unknown';
  }
}
