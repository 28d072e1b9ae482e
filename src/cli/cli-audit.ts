import { userInfo } from 'node:os';
import type { Kysely } from 'kysely';
import { AuditRecorder } from '../audit/index.ts';
import type { Database } from '../db/index.ts';
import { type Actor, SecurityEventBus } from '../events/index.ts';

/** The person at this terminal, as audit events name them (`cli:<os user>`). */
export function cliActor(): Actor {
  try {
    return { kind: 'cli', osUser: userInfo().username };
  } catch {
    // A uid with no passwd entry (some containers) still gets a name.
    return { kind: 'cli', osUser: `uid-${process.getuid?.() ?? 'unknown'}` };
  }
}

/**
 * Runs `work` with a bus whose events are written to the audit log, and waits for them to be
 * written. Throws when the audit write failed (after `work` did its part: say so).
 */
export async function withAuditLog<T>(
  db: Kysely<Database>,
  work: (bus: SecurityEventBus) => Promise<T>,
): Promise<T> {
  const bus = new SecurityEventBus();
  const failures: unknown[] = [];
  const audit = new AuditRecorder({ db, onError: (error) => failures.push(error) });
  audit.attach(bus);
  let result: T;
  try {
    result = await work(bus);
  } finally {
    // Listeners run on a later tick: let them queue the events before the last flush.
    await new Promise((resolve) => setImmediate(resolve));
    await audit.close();
  }
  if (failures.length > 0) {
    const reason = failures[0] instanceof Error ? failures[0].message : String(failures[0]);
    throw new Error(`done, but its audit event could not be written: ${reason}`);
  }
  return result;
}
