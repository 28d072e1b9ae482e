import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteTestDatabase, type TestDatabase } from './databases.ts';
import { rssDrift, runFuzz } from './fuzz-run.ts';
import { ServerProcess } from './server-processes.ts';

/**
 * Defines the fuzz drill: a `flux-auth start` process (SQLite, brute-force and bot rules in
 * monitor mode so that every request reaches parsing, validation and the handlers instead of a
 * cached block) takes `count` malformed requests. 0 5xx, still running, no error-level log,
 * and RSS flat: the median of the last 20 % of samples at most 10 % above that of the first
 * 20 %. Only growth fails: a drop is memory given back (argon2's 19 MiB per dummy hash in the
 * hashing threads makes RSS swing with how many unknown-email logins are in flight).
 */
/** Old-space limit of the fuzzed server (MB): about twice its live heap after a full GC. */
const HEAP_LIMIT_MB = 160;

export function defineFuzzDrill(count: number, options: { seed: number; timeoutMs: number }) {
  describe(`fuzzer: ${count.toLocaleString('en')} malformed requests`, () => {
    let server: ServerProcess | null = null;
    let db: TestDatabase | null = null;

    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'flux-fuzz-'));
      const policyFile = join(dir, 'policy.json');
      writeFileSync(
        policyFile,
        JSON.stringify({
          rules: { brute_force: { mode: 'monitor' }, bot_activity: { mode: 'monitor' } },
        }),
      );
      db = await openSqliteTestDatabase();
      server = await ServerProcess.start({
        databaseUrl: db.url,
        // A heap limit near the working set: V8 then collects old garbage as it goes instead of
        // letting it pile up to the machine's default limit (GBs here) before a major GC. Old
        // space grew to 100 MB of garbage in one run, 57 MB in the next, and RSS with it (×1.20
        // in CI on a busy host). A real leak still shows: RSS climbs to the limit, or the
        // process dies of it, and both fail this test.
        env: {
          FLUX_AUTH_POLICY: policyFile,
          NODE_OPTIONS: `--max-old-space-size=${HEAP_LIMIT_MB}`,
        },
      });
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      await db?.cleanup();
    }, 60_000);

    it(
      'answers every one with a 4xx (or 2xx), never a 5xx; does not crash; RSS stays flat',
      async () => {
        if (server === null) throw new Error('setup failed');
        const result = await runFuzz({
          url: server.url,
          pid: server.pid,
          count,
          warmup: Math.floor(count / 10),
          seed: options.seed,
        });
        const drift = rssDrift(result.rssKb);
        const tenths = Array.from({ length: 10 }, (_, i) =>
          Math.round((result.rssKb[Math.floor((i * result.rssKb.length) / 10)] ?? 0) / 1024),
        );
        console.info(
          `fuzz ${count}: RSS MB at each tenth of the run ${tenths.join(' ')}; statuses ${JSON.stringify(result.statuses)}, unanswered raw ${result.unanswered}, network errors ${result.networkErrors.length} (retried ${result.retried}), RSS ${result.rssKb.length} samples, first-20% median ${drift.first} kB, last-20% median ${drift.last} kB (×${drift.ratio.toFixed(3)})`,
        );
        expect(server.isRunning, `server died:\n${server.output()}`).toBe(true);
        expect(result.serverErrors.slice(0, 20)).toEqual([]);
        expect(result.networkErrors.slice(0, 20)).toEqual([]);
        expect(server.errors().slice(0, 5)).toEqual([]);
        expect(result.rssKb.length).toBeGreaterThanOrEqual(10);
        expect(drift.ratio, JSON.stringify(drift)).toBeLessThanOrEqual(1.1);
        // Still serving after the barrage.
        expect((await fetch(`${server.url}/health`)).status).toBe(200);
      },
      options.timeoutMs,
    );
  });
}
