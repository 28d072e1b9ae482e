import { accessSync, constants } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/**
 * `REPUTATION_LISTS`: comma-separated paths of seed lists (FireHOL-style netsets). Each must
 * be a readable file at startup: one problem line naming the variable and path otherwise.
 */
export function readReputationLists(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  problems: string[],
): readonly string[] {
  const raw = env.REPUTATION_LISTS?.trim();
  if (!raw) return [];
  const paths = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => (isAbsolute(p) ? p : resolve(cwd, p)));
  for (const path of paths) {
    try {
      accessSync(path, constants.R_OK);
    } catch {
      problems.push(`REPUTATION_LISTS: cannot read ${path}`);
    }
  }
  return paths;
}
