import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { type LoginOutcome, readLoginOutcomes } from '../history/index.ts';
import type { RecordedHistory, ReplayAttempt, ReplayBlock } from './history-record.ts';
import { accountsOf } from './replay-brute-force.ts';

/** Most attempts one backtest replays: beyond this it would hold the event loop too long. */
export const MAX_REPLAYED_ATTEMPTS = 1_000_000;

/** The period holds more than `MAX_REPLAYED_ATTEMPTS`: the caller should pick a shorter one. */
export class BacktestTooLargeError extends Error {
  constructor() {
    super(
      `more than ${MAX_REPLAYED_ATTEMPTS.toLocaleString('en')} login attempts recorded in that period; choose a shorter one`,
    );
  }
}

/**
 * Reads what was recorded from `since` to `until` (epoch ms): login outcomes, requests refused
 * by a brute_force block (`blocked_request` rows, each standing for `details.count` requests),
 * and the brute_force blocks the audit log holds.
 */
export async function loadHistory(
  db: Kysely<Database>,
  since: number,
  until: number,
): Promise<RecordedHistory> {
  const outcomes = await readLoginOutcomes(db, since, until, MAX_REPLAYED_ATTEMPTS + 1);
  if (outcomes.length > MAX_REPLAYED_ATTEMPTS) throw new BacktestTooLargeError();
  let budget = MAX_REPLAYED_ATTEMPTS - outcomes.length;
  const events = await db
    .selectFrom('security_events')
    .select(['created_at', 'type', 'details'])
    .where('created_at', '>=', since)
    .where('created_at', '<=', until)
    .where('type', 'in', ['brute_force', 'blocked_request'])
    .orderBy('created_at')
    .execute();
  const attempts: ReplayAttempt[] = outcomes.map((o) => ({
    at: o.at,
    clientKey: o.clientKey,
    accountKey: o.accountKey,
    outcome: o.outcome,
  }));
  // Failures per client key, for the accounts behind each recorded block.
  const failuresByKey = new Map<string, LoginOutcome[]>();
  for (const o of outcomes) {
    if (o.outcome !== 'failure') continue;
    const list = failuresByKey.get(o.clientKey);
    if (list === undefined) failuresByKey.set(o.clientKey, [o]);
    else list.push(o);
  }
  const blocks: ReplayBlock[] = [];
  for (const row of events) {
    const at = Number(row.created_at);
    const details = parseDetails(row.details);
    const clientKey = typeof details.ipKey === 'string' ? details.ipKey : null;
    if (clientKey === null) continue;
    if (row.type === 'blocked_request') {
      if (details.blockRule !== 'brute_force' || details.route !== 'login') continue;
      const count = typeof details.count === 'number' ? Math.max(1, Math.trunc(details.count)) : 1;
      budget -= count;
      if (budget < 0) throw new BacktestTooLargeError();
      for (let i = 0; i < count; i += 1) {
        attempts.push({ at, clientKey, accountKey: null, outcome: 'refused' });
      }
    } else if (details.action === 'block') {
      const blockSeconds = typeof details.blockSeconds === 'number' ? details.blockSeconds : 0;
      const windowMs = typeof details.windowMs === 'number' ? details.windowMs : 0;
      const failures = (failuresByKey.get(clientKey) ?? []).filter(
        (o) => o.at > at - windowMs && o.at <= at,
      );
      blocks.push({
        clientKey,
        at,
        until: at + blockSeconds * 1000,
        failures: typeof details.failures === 'number' ? details.failures : failures.length,
        accounts: accountsOf(failures),
      });
    }
  }
  // Stable: an outcome and a refusal in the same millisecond keep the order they were read in.
  attempts.sort((a, b) => a.at - b.at);
  return { since, until, attempts, blocks };
}

function parseDetails(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
