import type { Kysely } from 'kysely';
import { createEmbeddedBlocks } from '../blocks/index.ts';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { createDatabase, type DatabaseHandle } from '../db/index.ts';
import {
  createDetector,
  DEFAULT_POLICY,
  type DetectionPolicy,
  type Detector,
  loadPolicyFile,
  SeedLists,
} from '../detection/index.ts';
import { createBlocksAdapter } from '../detection-blocks.ts';
import { createIpsAdapter } from '../detection-ips.ts';
import { ValidationError } from '../errors.ts';
import type { SecurityEventBus } from '../events/index.ts';
import { GeoLookup } from '../geo/index.ts';
import type { BlocksPort } from '../http/routes/admin-routes.ts';
import { prepareSchema } from '../main.ts';
import {
  type CounterStore,
  createRedisClient,
  RedisCounterStore,
  waitForRedisReady,
} from '../store/index.ts';
import { cliActor, withAuditLog } from './cli-audit.ts';
import { failAndExit, loadConfigOrExit } from './load-or-exit.ts';

type Db = Kysely<Database>;

/** Exit code for a refused argument (EX_USAGE). */
const EXIT_USAGE = 64;

// The same blocks port as the admin API (same address check, same audit events), over the
// store the servers read: Redis when configured, else the database (servers poll it).
async function withBlocks<T>(work: (blocks: BlocksPort) => Promise<T>): Promise<T> {
  return withDetector((detector, bus, policy) => work(adapterOf(detector, bus, policy)));
}

// A detector over the servers' store, with the seed lists read once (no watch).
async function withDetector<T>(
  work: (detector: Detector, bus: SecurityEventBus, policy: DetectionPolicy, db: Db) => Promise<T>,
): Promise<T> {
  const { config } = loadConfigOrExit();
  const policy = await policyOf(config);
  const database = createDatabase({ url: config.databaseUrl });
  const lists = config.reputationLists;
  const seedLists =
    lists.length === 0 ? undefined : new SeedLists({ paths: lists, onProblem: () => {} });
  try {
    await prepareSchema(config, database);
    return await withAuditLog(database.db, (bus) =>
      withStore(config, database, (store) => {
        const detector = createDetector({ store, policy: () => policy, bus, seedLists });
        return work(detector, bus, policy, database.db);
      }),
    );
  } finally {
    await database.destroy().catch(() => {});
  }
}

/**
 * `flux-auth ip <addr>`: its reputation score and why, active block and latest events, as
 * JSON (the body of `GET /api/admin/ips/:ip`). Scores are shared through Redis; without Redis
 * each server keeps its own, so this shows the seed lists' score only. `geo` from the GeoIP
 * data (bundled countries, GEOIP_CITY_DB).
 */
export async function runIp(ip: string): Promise<void> {
  try {
    const { config } = loadConfigOrExit();
    const { locate } = await GeoLookup.open({ cityDbPath: config.geoipCityDb });
    const view = await withDetector((detector, _bus, policy, db) =>
      createIpsAdapter(detector, db, () => policy.ipv6PrefixLength, locate).describe(ip),
    );
    process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
  } catch (error) {
    fail('ip', error);
  }
}

function adapterOf(detector: Detector, bus: SecurityEventBus, policy: DetectionPolicy): BlocksPort {
  return createBlocksAdapter(detector, bus, Date.now, () => policy.ipv6PrefixLength);
}

async function withStore<T>(
  config: Config,
  database: DatabaseHandle,
  work: (store: CounterStore) => Promise<T>,
): Promise<T> {
  if (config.redisUrl === null) {
    const embedded = createEmbeddedBlocks({
      db: database.db,
      clock: Date.now,
      onError: () => {},
    });
    // Every active block in this process first, so unblock and blocks see them all.
    await embedded.createSync(() => {}).catchUp();
    return work(embedded.store);
  }
  // Redis itself, never the resilient store: a CLI process's in-memory fallback would
  // report success for a block no server sees. Any Redis failure is an error (exit 1).
  const client = createRedisClient(config.redisUrl, { cluster: config.redisCluster });
  try {
    await waitForRedisReady(client, 3000);
    return await work(new RedisCounterStore(client));
  } finally {
    // QUIT lets replies still in flight (the un-awaited block index update) arrive first.
    await client.quit().catch(() => client.disconnect());
  }
}

async function policyOf(config: Config): Promise<DetectionPolicy> {
  return config.policyFile ? loadPolicyFile(config.policyFile) : DEFAULT_POLICY;
}

function fail(what: string, error: unknown): never {
  if (error instanceof ValidationError) failAndExit(what, error, EXIT_USAGE);
  failAndExit(`${what} failed`, error);
}

/** `flux-auth block <ip> [--minutes N] [--reason text]`: audited as `cli:<os user>`. */
export async function runBlock(
  ip: string,
  options: { minutes: string; reason: string },
): Promise<void> {
  const minutes = Number(options.minutes);
  if (!Number.isInteger(minutes) || minutes < 1)
    failAndExit('block', new Error('--minutes must be a whole number ≥ 1'), EXIT_USAGE);
  try {
    const view = await withBlocks((blocks) =>
      blocks.block({
        ip,
        durationSeconds: minutes * 60,
        reason: options.reason,
        actor: cliActor(),
      }),
    );
    process.stdout.write(`blocked ${view.ip} until ${view.expiresAt} (${options.reason})\n`);
  } catch (error) {
    fail('block', error);
  }
}

/** `flux-auth unblock <ip>`: audited as `cli:<os user>`; exit 1 when there was no block. */
export async function runUnblock(ip: string): Promise<void> {
  try {
    const removed = await withBlocks((blocks) => blocks.unblock(ip, cliActor()));
    process.stdout.write(removed ? `unblocked ${ip}\n` : `no active block for ${ip}\n`);
    process.exitCode = removed ? 0 : 1;
  } catch (error) {
    fail('unblock', error);
  }
}

/** `flux-auth blocks`: lists active blocks with rule, evidence and expiry. */
export async function runListBlocks(): Promise<void> {
  try {
    const blocks = await withBlocks((port) => port.list());
    if (blocks.length === 0) process.stdout.write('no active blocks\n');
    for (const b of blocks) {
      process.stdout.write(
        `${b.ip}  ${b.rule}  until ${b.expiresAt}  ${JSON.stringify(b.evidence)}\n`,
      );
    }
  } catch (error) {
    fail('blocks', error);
  }
}
