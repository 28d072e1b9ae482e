import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis-client.ts';

/** A Lua script and its SHA-1 (for EVALSHA). */
export interface Script {
  readonly lua: string;
  readonly sha: string;
  /** Writes with `SET … NX GET` (Redis 7.0+). */
  readonly usesSetNxGet?: boolean;
}

/** Hashes a script once, at load. */
export function script(lua: string, usesSetNxGet = false): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex'), usesSetNxGet };
}

/** True for Redis's answer to EVALSHA of a script it does not hold (after a restart). */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** Redis's answer to an option it does not know (here: `SET … NX GET` before 7.0). */
export function isSyntaxError(error: unknown): boolean {
  return error instanceof Error && /syntax error/i.test(error.message);
}

/** Runs a script by EVALSHA, and by EVAL once when Redis lost its script cache. */
export async function runScript(
  client: RedisClient,
  s: Script,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return client.eval(s.lua, keys.length, ...keys, ...args);
  }
}
