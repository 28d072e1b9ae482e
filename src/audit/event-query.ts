import type { Kysely } from 'kysely';
import type { Database, SecurityEventRow } from '../db/index.ts';
import type { Severity } from '../events/index.ts';

/** Filters for the audit log; `since` is epoch milliseconds, `limit` at most 200. */
export interface EventFilter {
  readonly type?: string;
  readonly severity?: Severity;
  readonly ip?: string;
  readonly since?: number;
  /** Events before this time (epoch ms, exclusive). */
  readonly until?: number;
  /** Events of this account (user id). */
  readonly userId?: string;
  readonly cursor?: string;
  readonly limit?: number;
}

/** An audit row as the admin API shows it. */
export interface AuditEvent {
  readonly id: string;
  readonly at: string;
  readonly type: string;
  readonly severity: string;
  readonly ip: string | null;
  readonly userId: string | null;
  readonly userAgent: string | null;
  readonly rule: string | null;
  readonly requestId: string | null;
  readonly details: Record<string, unknown>;
}

/** One page of events, newest first; `nextCursor` is null on the last page. */
export interface EventPage {
  readonly events: readonly AuditEvent[];
  readonly nextCursor: string | null;
}

/** Thrown for a cursor that was not produced by `listEvents`. */
export class InvalidCursorError extends Error {}

/** Lists events newest first with keyset pagination on (created_at, id). */
export async function listEvents(db: Kysely<Database>, filter: EventFilter): Promise<EventPage> {
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 200);
  let query = db.selectFrom('security_events').selectAll();
  if (filter.type) query = query.where('type', '=', filter.type);
  if (filter.severity) query = query.where('severity', '=', filter.severity);
  if (filter.ip) query = query.where('ip', '=', filter.ip);
  if (filter.userId) query = query.where('user_id', '=', filter.userId);
  if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('created_at', '<', filter.until);
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
  const nextCursor = rows.length > limit && last ? encodeCursor(last) : null;
  return { events: page.map(toAuditEvent), nextCursor };
}

function encodeCursor(row: SecurityEventRow): string {
  return Buffer.from(`${row.created_at}:${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: number; id: string } {
  const [atText, id] = Buffer.from(cursor, 'base64url').toString('utf8').split(':', 2);
  const at = Number(atText);
  if (!Number.isSafeInteger(at) || !id || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new InvalidCursorError('cursor is not valid');
  }
  return { at, id };
}

function toAuditEvent(row: SecurityEventRow): AuditEvent {
  return {
    id: row.id,
    at: new Date(row.created_at).toISOString(),
    type: row.type,
    severity: row.severity,
    ip: row.ip,
    userId: row.user_id,
    userAgent: row.user_agent,
    rule: row.rule,
    requestId: row.request_id,
    details: parseDetails(row.details),
  };
}

function parseDetails(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
