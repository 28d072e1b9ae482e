import {
  type Config,
  EXIT_CONFIG,
  loadConfig,
  loadOrCreateDevSecret,
  readProcessEnv,
} from '../config/index.ts';
import { scrubString } from '../monitoring/scrubber.ts';

/** Loads config or prints one line per problem to stderr and exits 78. */
export function loadConfigOrExit(): { config: Config; warnings: readonly string[] } {
  const result = loadConfig(readProcessEnv(), {
    cwd: process.cwd(),
    loadDevSecret: loadOrCreateDevSecret,
  });
  if (result.ok) return { config: result.config, warnings: result.warnings };
  for (const problem of result.problems) {
    process.stderr.write(`flux-auth: configuration error: ${problem}\n`);
  }
  process.exit(EXIT_CONFIG);
}

/** Prints a one-line reason (never a stack) and exits with `code`. */
export function failAndExit(what: string, error: unknown, code = 1): never {
  const reason = error instanceof Error ? error.message : String(error);
  process.stderr.write(`flux-auth: ${what}: ${scrubString(reason)}\n`);
  process.exit(code);
}
