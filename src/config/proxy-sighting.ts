import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** File in the data directory where a running instance notes a proxy it does not trust. */
export const PROXY_SIGHTING_FILE = 'proxy-without-trust-proxy.json';

/** A proxy seen in front of an instance while TRUST_PROXY was unset. */
export interface ProxySighting {
  /** The proxy's socket address, e.g. 127.0.0.1. */
  readonly peer: string;
  /** When it was first seen by that process (epoch ms). */
  readonly at: number;
}

/** Writes the sighting for `doctor` (mode 0600). Throws when the directory is not writable. */
export function recordProxySighting(dataDir: string, sighting: ProxySighting): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, PROXY_SIGHTING_FILE), `${JSON.stringify(sighting)}\n`, {
    mode: 0o600,
  });
}

/** The last sighting noted in `dataDir`, or null when none (or unreadable). Never throws. */
export function readProxySighting(dataDir: string): ProxySighting | null {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(dataDir, PROXY_SIGHTING_FILE), 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { peer, at } = parsed as Record<string, unknown>;
    if (typeof peer !== 'string' || typeof at !== 'number') return null;
    return { peer: peer.slice(0, 64), at };
  } catch {
    return null;
  }
}
