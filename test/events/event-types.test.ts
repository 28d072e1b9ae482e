import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EVENT_TYPES,
  isSecurityEventType,
  isSeverity,
  SECURITY_EVENT_TYPES,
} from '../../src/events/index.ts';

const root = join(import.meta.dirname, '..', '..');

/** Rows of the README table under `### Security event types`: [type, severity, meaning]. */
function readmeRows(): string[][] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('### Security event types');
  expect(start).toBeGreaterThan(-1);
  const rows: string[][] = [];
  for (const line of readme.slice(start).split('\n').slice(1)) {
    if (line.startsWith('#')) break;
    if (!line.startsWith('| `')) continue;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/^`|`$/g, '')),
    );
  }
  return rows;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('security event types', () => {
  it('the README lists exactly the table, in order, with its severities and descriptions', () => {
    const expected = SECURITY_EVENT_TYPES.map((type) => [
      type,
      EVENT_TYPES[type].severity,
      EVENT_TYPES[type].description,
    ]);
    expect(readmeRows()).toEqual(expected);
  });

  it('every type has a valid severity and a one-line description', () => {
    for (const type of SECURITY_EVENT_TYPES) {
      expect(type).toMatch(/^[a-z][a-z0-9_]{0,63}$/);
      expect(isSeverity(EVENT_TYPES[type].severity)).toBe(true);
      expect(EVENT_TYPES[type].description).toMatch(/^[A-Z][^\n|]{10,120}$/);
    }
    expect(isSecurityEventType('brute_force')).toBe(true);
    expect(isSecurityEventType('toString')).toBe(false);
  });

  it('every type is emitted somewhere in src, and emitters name only types of the table', () => {
    const emitted = new Set<string>();
    for (const file of sourceFiles(join(root, 'src'))) {
      if (file.includes(join('src', 'events'))) continue;
      const text = readFileSync(file, 'utf8');
      // `type: 'x'` in an event literal, or the first argument of a typed publish helper.
      for (const m of text.matchAll(/\btype: '([a-z_]+)'/g)) emitted.add(m[1] ?? '');
      for (const m of text.matchAll(/publish\('([a-z_]+)'/g)) emitted.add(m[1] ?? '');
      // The store's switch events go through a helper that takes the bus first.
      for (const m of text.matchAll(/publishStoreSwitch\([^,]+, '([a-z_]+)'/g))
        emitted.add(m[1] ?? '');
    }
    for (const type of SECURITY_EVENT_TYPES) expect(emitted, type).toContain(type);
    // Other `type:` keys: HTTP schemes, key formats, JSON Schema types, Prometheus metric types.
    const nonEvents = ['http', 'pkcs8', 'spki', 'jwk', 'integer', 'histogram'];
    const unknown = [...emitted].filter((t) => !isSecurityEventType(t) && !nonEvents.includes(t));
    expect(unknown).toEqual([]);
  });
});
