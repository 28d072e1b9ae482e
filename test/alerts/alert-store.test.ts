import { afterAll, beforeAll, expect, it } from 'vitest';
import { testAlertMessage } from '../../src/alerts/alert-message.ts';
import { InvalidAlertCursorError, insertAlert, listAlerts } from '../../src/alerts/alert-store.ts';
import type { DeliveryResult } from '../../src/alerts/delivery-queue.ts';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';

const T0 = 1_800_000_000_000;

function result(
  outcome: DeliveryResult['outcome'],
  channel: DeliveryResult['channel'],
): DeliveryResult {
  return {
    channel,
    message: testAlertMessage(T0, null),
    outcome,
    attempts: outcome === 'sent' ? 1 : 5,
    errorClass: outcome === 'sent' ? null : 'timeout',
    queuedAt: T0,
  };
}

forEachDialect((_dialect, open) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await open();
    // Two rows share a time: the id breaks the tie, so no row is skipped or repeated.
    await insertAlert(db.handle.db, result('sent', 'email'), T0 + 1);
    await insertAlert(db.handle.db, result('failed', 'webhook'), T0 + 2);
    await insertAlert(db.handle.db, result('dropped', 'email'), T0 + 2);
    await insertAlert(db.handle.db, result('sent', 'webhook'), T0 + 3);
  });
  afterAll(() => db?.cleanup());

  it('lists alerts newest first, page by page, each row once', async () => {
    const first = await listAlerts(db.handle.db, { limit: 2 });
    expect(first.alerts).toHaveLength(2);
    expect(first.alerts[0]).toMatchObject({
      at: new Date(T0 + 3).toISOString(),
      channel: 'webhook',
      kind: 'test',
      rule: 'test',
      severity: 'info',
      eventCount: 0,
      outcome: 'sent',
      details: { attempts: 1, errorClass: null },
    });
    const second = await listAlerts(db.handle.db, { limit: 2, cursor: first.nextCursor ?? '' });
    expect(second.nextCursor).toBeNull();
    const outcomes = [...first.alerts, ...second.alerts].map((a) => `${a.channel} ${a.outcome}`);
    expect(outcomes.sort()).toEqual([
      'email dropped',
      'email sent',
      'webhook failed',
      'webhook sent',
    ]);
    expect(second.alerts.at(-1)?.at).toBe(new Date(T0 + 1).toISOString());
  });

  it('refuses a cursor it did not make', async () => {
    await expect(listAlerts(db.handle.db, { cursor: 'bm90LWEtY3Vyc29y' })).rejects.toBeInstanceOf(
      InvalidAlertCursorError,
    );
  });
});
