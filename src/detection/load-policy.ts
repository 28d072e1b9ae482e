import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type DetectionPolicy, parsePolicy } from './policy.ts';

/** A policy file that cannot be read, parsed or validated; `problems` has one line each. */
export class PolicyFileError extends Error {
  readonly problems: readonly string[];

  constructor(path: string, problems: readonly string[], options: { cause?: unknown } = {}) {
    super(
      `Invalid detection policy ${path}:\n${problems.map((p) => `  ${p}`).join('\n')}`,
      options,
    );
    this.name = 'PolicyFileError';
    this.problems = problems;
  }
}

/** Reads and validates a JSON policy file over the defaults. Throws `PolicyFileError`. */
export async function loadPolicyFile(path: string): Promise<DetectionPolicy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PolicyFileError(path, [`cannot read the file: ${describe(error)}`], { cause: error });
  }
  const result = parsePolicyText(text);
  if (!result.ok) throw new PolicyFileError(path, result.problems);
  return result.policy;
}

/**
 * Parses and validates the JSON text of a policy over the defaults, as a policy file is read
 * (the dashboard validates a pasted policy with it). Never throws: problems, one line each.
 */
export function parsePolicyText(
  text: string,
): { ok: true; policy: DetectionPolicy } | { ok: false; problems: readonly string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`not valid JSON: ${describe(error)}`] };
  }
  return parsePolicy(json);
}

/** Options of `watchPolicy`. */
export interface WatchPolicyOptions {
  /** Polling interval in ms (polling survives editors that replace the file). Default 1000. */
  readonly intervalMs?: number;
}

/**
 * Reloads the policy file when it changes: a valid file goes to `onChange`, an invalid one
 * to `onError` (keep the old policy). Returns a function that stops watching.
 */
export function watchPolicy(
  path: string,
  onChange: (policy: DetectionPolicy) => void,
  onError: (error: PolicyFileError) => void,
  options: WatchPolicyOptions = {},
): () => void {
  let generation = 0;
  const listener = (current: { mtimeMs: number }, previous: { mtimeMs: number }): void => {
    if (current.mtimeMs === previous.mtimeMs) return;
    generation += 1;
    const mine = generation;
    loadPolicyFile(path).then(
      (policy) => {
        // A slower read of an older version must not win over a newer one.
        if (mine === generation) onChange(policy);
      },
      (error: unknown) => {
        if (mine !== generation) return;
        onError(
          error instanceof PolicyFileError ? error : new PolicyFileError(path, [describe(error)]),
        );
      },
    );
  };
  watchFile(path, { interval: options.intervalMs ?? 1000, persistent: false }, listener);
  return () => unwatchFile(path, listener);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
