import { afterEach, beforeEach, expect, it } from 'vitest';
import { AuditRecorder, listEvents } from '../../src/audit/index.ts';
import { type SecurityEvent, SecurityEventBus } from '../../src/events/index.ts';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';

const event = (i: number): SecurityEvent => ({
  type: 'brute_force',
  severity: 'high',
  at: 1_800_000_000_000 + i,
  ip: `198.51.100.${i % 250}`,
  userId: null,
  userAgent: 'curl/8',
  rule: 'brute_force',
  requestId: `req-${i}`,
  details: {
    failures: i,
    pending: 0,
    limit: 5,
    windowMs: 300_000,
    blockSeconds: 3600,
    mode: 'enforce',
    action: 'block',
    ipKey: `198.51.100.${i % 250}`,
    route: 'login',
  },
});

forEachDialect((_dialect, open) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await open();
  });
  afterEach(async () => {
    await db.cleanup();
  });

  it('writes bus events in batches and pages them back newest first', async () => {
    const bus = new SecurityEventBus();
    const recorder = new AuditRecorder({ db: db.handle.db, maxBatch: 7, flushIntervalMs: 10_000 });
    recorder.attach(bus);
    for (let i = 0; i < 30; i += 1) bus.publish(event(i));
    await new Promise((resolve) => setTimeout(resolve, 0));
    await recorder.flush();
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await listEvents(db.handle.db, { limit: 8, cursor });
      seen.push(...page.events.map((e) => Number(e.details.failures)));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => 29 - i));
  });

  it('keeps events buffered while the database fails and writes them when it is back', async () => {
    const errors: unknown[] = [];
    const recorder = new AuditRecorder({
      db: db.handle.db,
      flushIntervalMs: 10_000,
      onError: (error) => errors.push(error),
    });
    await db.handle.db.schema
      .alterTable('security_events')
      .renameTo('security_events_away')
      .execute();
    recorder.record(event(1));
    await recorder.flush();
    expect(errors).toHaveLength(1);
    await db.handle.db.schema
      .alterTable('security_events_away')
      .renameTo('security_events')
      .execute();
    await recorder.flush();
    expect((await listEvents(db.handle.db, {})).events).toHaveLength(1);
    await recorder.close();
  });

  it('drops the oldest events past the buffer cap and reports it', async () => {
    const dropped: number[] = [];
    const recorder = new AuditRecorder({
      db: db.handle.db,
      maxBatch: 1000,
      maxBuffered: 5,
      flushIntervalMs: 10_000,
      onError: (_error, count) => dropped.push(count),
    });
    for (let i = 0; i < 8; i += 1) recorder.record(event(i));
    await recorder.close();
    const counts = (await listEvents(db.handle.db, {})).events.map((e) =>
      Number(e.details.failures),
    );
    expect(counts).toEqual([7, 6, 5, 4, 3]);
    expect(dropped.reduce((a, b) => a + b, 0)).toBe(3);
    recorder.record(event(99));
    await recorder.flush();
    expect((await listEvents(db.handle.db, {})).events).toHaveLength(5);
  });
});
