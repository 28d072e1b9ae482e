import {
  createChannels,
  DEFAULT_DELIVERY_OPTIONS,
  DeliveryQueue,
  type DeliveryResult,
  insertAlert,
  testAlertMessage,
} from '../alerts/index.ts';
import { EXIT_CONFIG } from '../config/index.ts';
import { createDatabase } from '../db/index.ts';
import { loadConfigOrExit } from './load-or-exit.ts';

/** A test message gives up sooner than an alert: an operator is waiting at the terminal. */
const TEST_DEADLINE_MS = 30_000;

/**
 * `flux-auth alert-test`: sends a test message to every configured channel (with the usual
 * retries), prints one line per channel, stores the rows when the database answers.
 * Exit 0 when every channel got it, 1 otherwise, 78 when no channel is configured.
 */
export async function runAlertTest(): Promise<void> {
  const { config } = loadConfigOrExit();
  const channels = createChannels(config.alerts, Date.now);
  if (channels.length === 0) {
    process.stderr.write(
      'flux-auth: configuration error: no alert channel is configured; set SMTP_URL (with ALERT_EMAIL_FROM and ALERT_EMAIL_TO) or ALERT_WEBHOOK_URL (with ALERT_WEBHOOK_SECRET).\n',
    );
    process.exit(EXIT_CONFIG);
  }
  const results: DeliveryResult[] = [];
  const queue = new DeliveryQueue({
    ...DEFAULT_DELIVERY_OPTIONS,
    deadlineMs: TEST_DEADLINE_MS,
    clock: Date.now,
    random: Math.random,
    onResult: (result) => results.push(result),
  });
  const publicUrl = config.alerts.publicUrl;
  const message = testAlertMessage(Date.now(), publicUrl === null ? null : `${publicUrl}/admin`);
  await Promise.all(channels.map((channel) => queue.deliver(channel, message)));
  for (const channel of channels) channel.close();
  for (const r of results) {
    const why = r.errorClass === null ? '' : ` (${r.errorClass})`;
    process.stdout.write(
      `${r.channel.padEnd(8)} ${r.outcome}${why} after ${r.attempts} attempt(s)\n`,
    );
  }
  await storeRows(config.databaseUrl, results);
  process.exitCode = results.every((r) => r.outcome === 'sent') ? 0 : 1;
}

// The rows are a record for the dashboard; a database that is down must not hide the outcome.
async function storeRows(url: string, results: readonly DeliveryResult[]): Promise<void> {
  const database = createDatabase({ url, connectTimeoutMs: 3000 });
  try {
    for (const result of results) await insertAlert(database.db, result, Date.now());
  } catch {
    process.stderr.write(
      'flux-auth: the outcome was not stored in the alerts table (database unreachable or not migrated)\n',
    );
  } finally {
    await database.destroy().catch(() => {});
  }
}
