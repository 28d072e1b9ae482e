import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AuditRecorder, listEvents } from '../../src/audit/index.ts';
import { type SecurityEvent, SecurityEventBus } from '../../src/events/index.ts';
import { sleep } from '../helpers/attack-stores.ts';
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

/**
 * Counts inserts into security_events and, when asked, fails the next ones *after* they ran:
 * a write that committed but whose answer was lost with the connection.
 */
class AuditInsertSpy implements KyselyPlugin {
  attempts = 0;
  failAfterCommit = 0;
  readonly #insertIds = new Set<unknown>();

  transformQuery(args: PluginTransformQueryArgs) {
    const node = args.node;
    if (node.kind === 'InsertQueryNode' && node.into?.table.identifier.name === 'security_events') {
      this.attempts += 1;
      this.#insertIds.add(args.queryId);
    }
    return node;
  }

  async transformResult(args: PluginTransformResultArgs) {
    if (this.#insertIds.delete(args.queryId) && this.failAfterCommit > 0) {
      this.failAfterCommit -= 1;
      throw new Error('Connection terminated unexpectedly');
    }
    return args.result;
  }
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

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
    // The failed attempt wrote nothing and dropped nothing: the event counts once, when written.
    expect([recorder.writtenCount, recorder.droppedCount]).toEqual([1, 0]);
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
    expect([recorder.writtenCount, recorder.droppedCount]).toEqual([5, 3]);
    recorder.record(event(99));
    await recorder.flush();
    expect((await listEvents(db.handle.db, {})).events).toHaveLength(5);
    // An event after close is dropped, and counted as such.
    expect([recorder.writtenCount, recorder.droppedCount]).toEqual([5, 4]);
  });

  const hideTable = () =>
    db.handle.db.schema.alterTable('security_events').renameTo('security_events_away').execute();
  const restoreTable = () =>
    db.handle.db.schema.alterTable('security_events_away').renameTo('security_events').execute();
  const rowCount = async () => (await listEvents(db.handle.db, { limit: 200 })).events.length;

  it('while writes fail: retries on its own, one write at a time (not one per event), then writes all', async () => {
    const spy = new AuditInsertSpy();
    const errors: unknown[] = [];
    const recovered: { writtenCount: number; droppedCount: number }[] = [];
    const recorder = new AuditRecorder({
      db: db.handle.db.withPlugin(spy),
      maxBatch: 10,
      flushIntervalMs: 10,
      retryIntervalMs: 50,
      onError: (error) => errors.push(error),
      onRecovered: (info) => recovered.push(info),
    });
    await hideTable();
    for (let i = 0; i < 150; i += 1) recorder.record(event(i));
    await until(() => errors.length > 0, 'the first failed write');
    const attemptsWhileDown = spy.attempts;
    for (let i = 150; i < 200; i += 1) recorder.record(event(i));
    // Size no longer triggers writes: only the retry timer does (a few tries in 120 ms).
    await sleep(120);
    expect(spy.attempts - attemptsWhileDown).toBeLessThanOrEqual(5);
    expect(errors).toHaveLength(1);
    await restoreTable();
    await until(() => recovered.length > 0, 'the backlog written by a retry');
    expect(await rowCount()).toBe(200);
    expect(recovered).toEqual([{ writtenCount: 200, droppedCount: 0 }]);
    expect(recorder.bufferedCount).toBe(0);
    expect(recorder.droppedCount).toBe(0);
    await recorder.close();
  });

  it('a write that committed before its answer was lost is retried without duplicates or a stuck buffer', async () => {
    const spy = new AuditInsertSpy();
    spy.failAfterCommit = 1;
    const recorder = new AuditRecorder({
      db: db.handle.db.withPlugin(spy),
      maxBatch: 100,
      flushIntervalMs: 10_000,
      retryIntervalMs: 10_000,
    });
    for (let i = 0; i < 5; i += 1) recorder.record(event(i));
    await recorder.flush();
    expect(recorder.bufferedCount).toBe(5);
    await recorder.flush();
    expect(recorder.bufferedCount).toBe(0);
    expect(await rowCount()).toBe(5);
    await recorder.close();
  });

  it('while writes fail: keeps at most maxBuffered, says so once, and counts what it dropped', async () => {
    const errors: [unknown, number][] = [];
    const recovered: { writtenCount: number; droppedCount: number }[] = [];
    const recorder = new AuditRecorder({
      db: db.handle.db,
      maxBatch: 100,
      maxBuffered: 5,
      flushIntervalMs: 10_000,
      retryIntervalMs: 10_000,
      onError: (error, dropped) => errors.push([error, dropped]),
      onRecovered: (info) => recovered.push(info),
    });
    await hideTable();
    recorder.record(event(0));
    await recorder.flush();
    for (let i = 1; i < 10; i += 1) recorder.record(event(i));
    expect(recorder.droppedCount).toBe(5);
    expect(errors.map(([, dropped]) => dropped)).toEqual([0, 1]);
    await restoreTable();
    await recorder.flush();
    const counts = (await listEvents(db.handle.db, {})).events.map((e) =>
      Number(e.details.failures),
    );
    expect(counts).toEqual([9, 8, 7, 6, 5]);
    expect(recovered).toEqual([{ writtenCount: 5, droppedCount: 5 }]);
    await recorder.close();
  });

  it('drops and counts a batch that can never be written, so it cannot hold up the rest', async () => {
    const errors: [unknown, number][] = [];
    const recorder = new AuditRecorder({
      db: db.handle.db,
      flushIntervalMs: 10_000,
      isRetryable: () => false,
      onError: (error, dropped) => errors.push([error, dropped]),
    });
    await hideTable();
    for (let i = 0; i < 3; i += 1) recorder.record(event(i));
    await recorder.flush();
    expect(recorder.bufferedCount).toBe(0);
    expect(recorder.droppedCount).toBe(3);
    expect(errors.map(([, dropped]) => dropped)).toEqual([3]);
    await restoreTable();
    recorder.record(event(3));
    await recorder.close();
    expect(await rowCount()).toBe(1);
  });

  it('counts what shutdown could not write', async () => {
    const errors: [unknown, number][] = [];
    const recorder = new AuditRecorder({
      db: db.handle.db,
      flushIntervalMs: 10_000,
      onError: (error, dropped) => errors.push([error, dropped]),
    });
    await hideTable();
    for (let i = 0; i < 4; i += 1) recorder.record(event(i));
    await recorder.close();
    expect(recorder.droppedCount).toBe(4);
    expect(errors.at(-1)?.[1]).toBe(4);
    await restoreTable();
  });
});
