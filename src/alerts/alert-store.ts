import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AlertsTable, Database } from '../db/index.ts';
import type { DeliveryResult } from './delivery-queue.ts';

/** An `alerts` row as the admin API shows it. */
export interface AlertView {
  readonly id: string;
  readonly at: string;
  readonly channel: AlertsTable['channel'];
  readonly kind: AlertsTable['kind'];
  readonly rule: string;
  readonly severity: AlertsTable['severity'];
  readonly eventCount: number;
  readonly outcome: AlertsTable['outcome'];
  readonly details: Record<string, unknown>;
}

/** One page of alerts, newest first; `nextCursor` is null on the last page. */
export interface AlertPage {
  readonly alerts: readonly AlertView[];
  readonly nextCursor: string | null;
}

/** Thrown for a cursor that `listAlerts` did not produce. */
export class InvalidAlertCursorError extends Error {}

/**
 * Writes one row per message and channel once its delivery is final; `at` (epoch ms) is when
 * the outcome was known. `details` holds the facts plus attempts and the error class.
 */
export async function insertAlert(
  db: Kysely<Database>,
  result: DeliveryResult,
  at: number,
): Promise<void> {
  const { message } = result;
  await db
    .insertInto('alerts')
    .values({
      id: randomUUID(),
      created_at: at,
      channel: result.channel,
      kind: message.kind,
      rule: message.rule.slice(0, 64),
      severity: message.severity,
      event_count: message.facts.eventCount,
      outcome: result.outcome,
      details: JSON.stringify({
        ...message.facts,
        headline: message.headline,
        attempts: result.attempts,
        errorClass: result.errorClass,
        queuedAt: new Date(result.queuedAt).toISOString(),
      }),
    })
    .execute();
}

/** Lists alerts newest first with keyset pagination on (created_at, id); `limit` ≤ 200. */
export async function listAlerts(
  db: Kysely<Database>,
  filter: { readonly cursor?: string; readonly limit?: number },
): Promise<AlertPage> {
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 200);
  let query = db.selectFrom('alerts').selectAll();
  if (filter.cursor) {
    const { at, id } = decodeCursor(filter.cursor);
    query = query.where((eb) =>
      eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]),
    );
  }
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > limit && last
      ? Buffer.from(`${last.created_at}:${last.id}`).toString('base64url')
      : null;
  return { alerts: page.map(toView), nextCursor };
}

function decodeCursor(cursor: string): { at: number; id: string } {
  const [atText, id] = Buffer.from(cursor, 'base64url').toString('utf8').split(':', 2);
  const at = Number(atText);
  if (!Number.isSafeInteger(at) || !id || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new InvalidAlertCursorError('cursor is not valid');
  }
  return { at, id };
}

function toView(row: AlertsTable): AlertView {
  let details: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.details);
    if (typeof parsed === 'object' && parsed !== null) details = parsed as Record<string, unknown>;
  } catch {
    // A row written by hand: show it without details.
  }
  return {
    id: row.id,
    at: new Date(Number(row.created_at)).toISOString(),
    channel: row.channel,
    kind: row.kind,
    rule: row.rule,
    severity: row.severity,
    eventCount: Number(row.event_count),
    outcome: row.outcome,
    details,
  };
}
