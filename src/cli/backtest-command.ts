import {
  BacktestTooLargeError,
  formatBacktest,
  parseSince,
  runBacktest,
} from '../backtest/index.ts';
import { createDatabase } from '../db/index.ts';
import { loadPolicyFile, PolicyFileError } from '../detection/index.ts';
import { failAndExit, loadConfigOrExit } from './load-or-exit.ts';

/** Exit code for a refused argument (EX_USAGE). */
const EXIT_USAGE = 64;

/**
 * `flux-auth backtest --policy new.json --since 7d [--json]`: replays the recorded login
 * outcomes and brute_force refusals under the policy file and prints the blocks it would have
 * added or removed, and the IPs and accounts affected.
 */
export async function runBacktestCommand(options: {
  policy: string;
  since: string;
  json?: boolean;
}): Promise<void> {
  const { config } = loadConfigOrExit();
  const now = Date.now();
  const since = parseSince(options.since, now);
  if (since === null) {
    process.stderr.write(
      `flux-auth: --since: "${options.since}" is not a period like 7d, 24h, 90m or a past ISO 8601 time\n`,
    );
    process.exit(EXIT_USAGE);
  }
  let policy: Awaited<ReturnType<typeof loadPolicyFile>>;
  try {
    policy = await loadPolicyFile(options.policy);
  } catch (error) {
    if (!(error instanceof PolicyFileError)) throw error;
    for (const problem of error.problems) {
      process.stderr.write(`flux-auth: --policy ${options.policy}: ${problem}\n`);
    }
    process.exit(EXIT_USAGE);
  }
  const database = createDatabase({ url: config.databaseUrl });
  try {
    const result = await runBacktest({ db: database.db, policy, since, until: now });
    process.stdout.write(
      options.json ? `${JSON.stringify(result, null, 2)}\n` : formatBacktest(result),
    );
  } catch (error) {
    if (error instanceof BacktestTooLargeError) {
      process.stderr.write(`flux-auth: --since: ${error.message}\n`);
      process.exit(EXIT_USAGE);
    }
    failAndExit('backtest failed', error);
  } finally {
    await database.destroy().catch(() => {});
  }
}
