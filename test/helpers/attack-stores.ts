import { describe, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/index.ts';
import {
  connectTestRedis,
  deleteKeys,
  IS_CI,
  REDIS_URL,
  uniquePrefix,
} from '../store/redis-test-client.ts';
import { createTestService, type TestService, type TestServiceOptions } from './test-service.ts';

export { IS_CI, REDIS_URL, uniquePrefix };

/** Which detection store a server instance counts in. */
export type StoreName = 'memory' | 'redis';

const probe = await connectTestRedis();
probe?.disconnect();
/** Why Redis tests cannot run here, or null when Redis answered. */
export const redisUnreachable: string | null =
  probe === null ? `Redis unreachable at ${REDIS_URL}` : null;

/**
 * Declares the suite for Redis only. When Redis is unreachable: under CI the suite fails
 * (never skips); elsewhere it is skipped with the reason in its name.
 */
export function describeWithRedis(name: string, suite: () => void): void {
  if (redisUnreachable === null) {
    describe(name, suite);
    return;
  }
  if (IS_CI) {
    describe(name, () => {
      it('Redis is reachable (required under CI)', () => {
        throw new Error(`${redisUnreachable}; CI must provide it`);
      });
    });
    return;
  }
  describe.skip(`${name} (skipped: ${redisUnreachable})`, suite);
}

/** Declares the suite once per detection store: `memory` (no REDIS_URL) and `redis`. */
export function forEachStore(suite: (store: StoreName) => void): void {
  describe('memory store', () => suite('memory'));
  describeWithRedis('redis store', () => suite('redis'));
}

/** A listening service on `store`, with a private Redis key prefix; `close` drops its keys. */
export async function startAttackService(
  database: DatabaseHandle,
  store: StoreName,
  options: TestServiceOptions & { readonly redisUrl?: string } = {},
): Promise<TestService> {
  const { redisUrl, ...rest } = options;
  const prefix = rest.redisKeyPrefix ?? uniquePrefix();
  const env = {
    ...(store === 'redis' ? { REDIS_URL: redisUrl ?? REDIS_URL } : {}),
    ...rest.env,
  };
  const service = await createTestService(database, {
    ...rest,
    env,
    redisKeyPrefix: prefix,
  });
  if (store === 'redis') await waitForRedisStore(service);
  await service.listen();
  const close = service.close;
  service.close = async () => {
    await close();
    if (store === 'redis') await dropKeys(prefix);
  };
  return service;
}

/**
 * Waits until the service's detection store answers from Redis. Its client connects in the
 * background, and a call before that sends the store into its memory fallback (see the
 * report: startup race), so give it a moment first, then check with one real call.
 */
export async function waitForRedisStore(service: TestService, timeoutMs = 5000): Promise<void> {
  const { detector } = service.services;
  const deadline = Date.now() + timeoutMs;
  await sleep(150);
  while (Date.now() < deadline) {
    if (detector.status() === 'ok') {
      await detector.listBlocks();
      if (detector.status() === 'ok') return;
    }
    await sleep(50);
  }
  throw new Error(`detection store still ${detector.status()} after ${timeoutMs} ms`);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Deletes every key under `prefix` in the test Redis (best effort). */
export async function dropKeys(prefix: string): Promise<void> {
  const client = await connectTestRedis();
  if (client === null) return;
  try {
    await deleteKeys(client, prefix);
  } finally {
    client.disconnect();
  }
}

/** One row of `security_events`, with `details` parsed. */
export interface SecurityEventRow {
  readonly type: string;
  readonly severity: string;
  readonly ip: string | null;
  readonly user_id: string | null;
  readonly user_agent: string | null;
  readonly rule: string | null;
  readonly details: Record<string, unknown>;
  readonly request_id: string | null;
}

/** Flushes the audit buffer and reads the events of `type` (optionally from one IP). */
export async function securityEvents(
  service: TestService,
  type: string,
  ip?: string,
): Promise<SecurityEventRow[]> {
  await service.services.audit.flush();
  let query = service.services.database.db
    .selectFrom('security_events')
    .selectAll()
    .where('type', '=', type);
  if (ip !== undefined) query = query.where('ip', '=', ip);
  const rows = await query.execute();
  return rows.map((row) => ({
    type: row.type,
    severity: row.severity,
    ip: row.ip,
    user_id: row.user_id,
    user_agent: row.user_agent,
    rule: row.rule,
    request_id: row.request_id,
    details: JSON.parse(row.details) as Record<string, unknown>,
  }));
}

/** Creates the accounts once per file (hashing is the slow part), through a throwaway service. */
export async function seedAccounts(
  database: DatabaseHandle,
  accounts: readonly { email: string; password: string; name: string }[],
): Promise<void> {
  const seeder = await startAttackService(database, 'memory');
  try {
    for (const account of accounts) await seeder.services.accounts.signup(account);
  } finally {
    await seeder.close();
  }
}

/** A login body with the account's email and a wrong password (the `i`th guess). */
export function wrongPassword(account: { email: string }, i: number) {
  return { email: account.email, password: `not the password ${i}` };
}
