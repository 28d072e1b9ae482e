import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countStatuses } from '../helpers/attack-client.ts';
import { sleep } from '../helpers/attack-stores.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { ScriptedLoginLoad } from '../helpers/scripted-login-load.ts';
import { ServerProcess } from '../helpers/server-processes.ts';

// Issue 13, building on test/e2e/graceful-shutdown.test.ts (16 logins sent, then the signal):
// SIGTERM lands in the middle of a steady login load.
describe('SIGTERM during a login load', () => {
  let db: TestDatabase;
  let server: ServerProcess | null = null;

  beforeAll(async () => {
    db = await openSqliteTestDatabase();
    // A long drain budget: the drain is under test, not its speed on a busy machine.
    server = await ServerProcess.start({
      databaseUrl: db.url,
      env: { SHUTDOWN_TIMEOUT_MS: '120000' },
    });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await db?.cleanup();
  }, 120_000);

  it('answers every request it accepted, writes every audit event, exits 0', async () => {
    if (server === null) throw new Error('setup failed');
    const load = new ScriptedLoginLoad(server, { workers: 8, block: 92 });
    while (load.answers.length < 40) await sleep(50);
    const signalAt = Date.now();
    const exitCode = await server.stop();
    const answers = await load.stop();

    const answered = answers.filter((a) => a.status !== 0);
    const unanswered = answers.filter((a) => a.status === 0);
    // Sent before the signal, answered after it: the requests the drain had to finish.
    const inFlightAtSignal = answered.filter(
      (a) => a.sentAt <= signalAt && a.sentAt + a.ms > signalAt,
    ).length;
    const rows = await db.handle.db
      .selectFrom('security_events')
      .select('details')
      .where('type', '=', 'suspicious_user_agent')
      .execute();
    const counted = rows.reduce((sum, row) => sum + Number(JSON.parse(row.details).count), 0);
    console.info(
      `SIGTERM under load: exit ${exitCode}; ${answers.length} requests ${JSON.stringify(countStatuses(answers))}, ${inFlightAtSignal} in flight at the signal, no answer: ${JSON.stringify(unanswered.map((a) => a.errorCode))}; audit rows count ${counted} requests`,
    );
    expect(exitCode).toBe(0);
    expect(Object.keys(countStatuses(answered))).toEqual(['401']);
    expect(inFlightAtSignal).toBeGreaterThan(0);
    // Only connections the closed server never accepted go unanswered: refused, never reset.
    expect(unanswered.filter((a) => a.errorCode !== 'ECONNREFUSED')).toEqual([]);
    expect(unanswered.every((a) => a.sentAt >= signalAt)).toBe(true);
    // Every login the server answered passed the detector: each is in an audit row.
    expect(counted).toBe(answered.length);
  }, 180_000);
});
