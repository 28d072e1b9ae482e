import { afterEach, describe, expect, it } from 'vitest';
import {
  BLOCK_ROW_RETENTION_MS,
  BlockRepository,
  createEmbeddedBlocks,
} from '../../src/blocks/index.ts';
import { createDetector, parsePolicy } from '../../src/detection/index.ts';
import type { BlockRecord } from '../../src/store/index.ts';
import { attempt, fakeClock, recordingBus } from '../detection/helpers.ts';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';

const T0 = 1_700_000_000_000;

// Polling with signups: a high bot limit keeps the polls themselves from tripping a rule.
const parsed = parsePolicy({ rules: { bot_activity: { limit: 1000 } } });
if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
const POLICY = parsed.policy;

/** What the process answers a signup from 203.0.113.7: `IP_BLOCKED` or `allow`. */
async function answerOf(detector: ReturnType<typeof createDetector>): Promise<string> {
  const decision = await detector.precheck(attempt('signup', Date.now()));
  return decision.action === 'allow' ? 'allow' : decision.code;
}

function block(ipKey: string, createdAt: number, minutes = 60): BlockRecord {
  return {
    ipKey,
    rule: 'manual',
    reason: 'test',
    evidence: { count: 0, limit: 0, windowMs: 0 },
    createdAt,
    expiresAt: createdAt + minutes * 60_000,
    manual: true,
  };
}

/** A detector over the embedded store of `db`, as one server or CLI process builds it. */
function process(db: TestDatabase, clock: () => number) {
  const errors: unknown[] = [];
  const embedded = createEmbeddedBlocks({
    db: db.handle.db,
    clock,
    onError: (e) => errors.push(e),
  });
  const { bus } = recordingBus();
  const detector = createDetector({
    store: embedded.store,
    policy: () => POLICY,
    bus,
    clock,
  });
  const sync = embedded.createSync((ipKey) => detector.forgetCachedBlock(ipKey));
  return { detector, sync, errors };
}

forEachDialect((_dialect, open) => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.cleanup();
    db = undefined;
  });

  describe('BlockRepository', () => {
    it('saves, lists, lifts, and reports every write after a version in order', async () => {
      db = await open();
      const repository = new BlockRepository(db.handle.db);
      const v1 = await repository.save(block('192.0.2.1', T0), T0);
      const v2 = await repository.save(block('192.0.2.2', T0, 10), T0);
      expect(v2).toBeGreaterThan(v1);
      expect((await repository.listActive(T0 + 1)).map((b) => b.ipKey)).toEqual([
        '192.0.2.2',
        '192.0.2.1',
      ]);
      expect(await repository.lift('192.0.2.1', T0 + 5)).toBe(true);
      expect(await repository.lift('192.0.2.1', T0 + 6)).toBe(false);
      expect(await repository.lift('192.0.2.9', T0 + 6)).toBe(false);
      const changes = await repository.changesSince(v2);
      expect(changes.blocks).toEqual([{ ...block('192.0.2.1', T0), expiresAt: T0 + 5 }]);
      expect((await repository.changesSince(changes.version)).blocks).toEqual([]);
      expect((await repository.listActive(T0 + 10)).map((b) => b.ipKey)).toEqual(['192.0.2.2']);
    });

    it('forgets rows ended longer ago than the retention on the next write', async () => {
      db = await open();
      const repository = new BlockRepository(db.handle.db);
      await repository.save(block('192.0.2.1', T0, 1), T0);
      const later = T0 + 60_000 + BLOCK_ROW_RETENTION_MS + 1;
      await repository.save(block('192.0.2.2', later), later);
      expect((await repository.changesSince(0)).blocks.map((b) => b.ipKey)).toEqual(['192.0.2.2']);
    });
  });

  describe('blocks in the embedded mode', () => {
    it('a block a rule created survives a restart', async () => {
      db = await open();
      const clock = fakeClock(T0);
      const first = process(db, clock.now);
      await first.sync.start();
      for (let i = 0; i < 5; i += 1) {
        const decision = await first.detector.precheck(attempt('login', clock.now()));
        if (decision.action !== 'allow') throw new Error('expected allow');
        await first.detector.record(decision.ticket, { kind: 'login_failed' });
      }
      await first.sync.stop();
      // The rule's block is written in the background: wait until the database has it.
      const repository = new BlockRepository(db.handle.db);
      for (let i = 0; i < 100 && (await repository.listActive(clock.now())).length === 0; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const restarted = process(db, clock.now);
      await restarted.sync.start();
      try {
        const decision = await restarted.detector.precheck(attempt('login', clock.now()));
        expect(decision).toMatchObject({ action: 'block', rule: 'brute_force' });
        expect(first.errors).toEqual([]);
      } finally {
        await restarted.sync.stop();
      }
    });

    it('a block and an unblock by another process reach a running one within a second', async () => {
      db = await open();
      const server = process(db, Date.now);
      await server.sync.start();
      try {
        const cli = process(db, Date.now);
        await cli.sync.catchUp();
        await cli.detector.blockIp('203.0.113.7', { durationSeconds: 600, reason: 'cli' });
        const blockedAt = Date.now();
        await until(() => answerOf(server.detector), 'IP_BLOCKED');
        // Generous bound for a busy machine: the poll runs every 500 ms.
        expect(Date.now() - blockedAt).toBeLessThan(5000);
        expect(await cli.detector.unblockIp('203.0.113.7')).toBe(true);
        const unblockedAt = Date.now();
        await until(() => answerOf(server.detector), 'allow');
        expect(Date.now() - unblockedAt).toBeLessThan(5000);
      } finally {
        await server.sync.stop();
      }
    });

    it('an unblock while a poll is in flight stays unblocked (the poll read the block before)', async () => {
      db = await open();
      const server = process(db, Date.now);
      await server.sync.catchUp();
      for (let round = 0; round < 20; round += 1) {
        await server.detector.blockIp('203.0.113.7', { durationSeconds: 600, reason: 'admin' });
        // The poll reads the block's row; the admin lifts it before the poll applies what it read.
        const poll = server.sync.catchUp();
        const lifted = server.detector.unblockIp('203.0.113.7');
        await Promise.all([poll, lifted]);
        expect(await answerOf(server.detector)).toBe('allow');
      }
      expect(server.errors).toEqual([]);
    });

    it('a lift written before this process created a newer block leaves the newer one', async () => {
      db = await open();
      const clock = fakeClock(T0);
      const repository = new BlockRepository(db.handle.db);
      await repository.save(block('203.0.113.7', T0 - 10_000), T0 - 10_000);
      await repository.lift('203.0.113.7', T0 - 5000);
      const server = process(db, clock.now);
      // A newer block in this process only (its own write still in flight).
      await server.detector.blockIp('203.0.113.7', { durationSeconds: 60, reason: 'new' });
      await server.sync.catchUp();
      const decision = await server.detector.precheck(attempt('login', clock.now()));
      expect(decision.action).toBe('block');
    });
  });
});

async function until(read: () => Promise<string>, expected: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = await read();
  while (last !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    last = await read();
  }
  expect(last).toBe(expected);
}
