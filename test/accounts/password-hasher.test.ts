import { readdirSync, readFileSync } from 'node:fs';
import bcrypt from 'bcrypt';
import { afterAll, describe, expect, it } from 'vitest';
import { HashQueue, PasswordHasher } from '../../src/accounts/index.ts';
import { ServiceBusyError } from '../../src/errors.ts';

/** Niceness of each thread of this process (Linux: /proc/self/task/<tid>/stat, field 19). */
function threadNiceness(): number[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [Number(fields[16])];
    } catch {
      return []; // the thread exited meanwhile
    }
  });
}

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();
  afterAll(() => hasher.close());

  it('hashes with argon2id at OWASP parameters and verifies', async () => {
    const hash = await hasher.hash('a long enough password');
    expect(hash).toMatch(
      /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
    );
    await expect(hasher.verify(hash, 'a long enough password')).resolves.toEqual({
      ok: true,
      needsRehash: false,
    });
    await expect(hasher.verify(hash, 'a long enough passworD')).resolves.toMatchObject({
      ok: false,
    });
  });

  it.each(['$2a$', '$2b$', '$2y$'])(
    'verifies legacy bcrypt %s hashes and asks for a rehash',
    async (prefix) => {
      const legacy = `${prefix}${(await bcrypt.hash('legacy secret', 4)).slice(4)}`;
      await expect(hasher.verify(legacy, 'legacy secret')).resolves.toEqual({
        ok: true,
        needsRehash: true,
      });
      await expect(hasher.verify(legacy, 'legacy secreT')).resolves.toMatchObject({ ok: false });
    },
  );

  it('flags argon2 hashes weaker than the current parameters', async () => {
    const weak = new PasswordHasher({ params: { memoryCostKiB: 1024, timeCost: 1 } });
    const weakHash = await weak.hash('some password here');
    expect(hasher.needsRehash(weakHash)).toBe(true);
    await expect(hasher.verify(weakHash, 'some password here')).resolves.toEqual({
      ok: true,
      needsRehash: true,
    });
  });

  it('needsRehash: current parameters or stronger are fine; anything else is flagged', async () => {
    const current = await hasher.hash('current params password');
    expect(hasher.needsRehash(current)).toBe(false);
    const salt = 'c2FsdHNhbHRzYWx0c2FsdA';
    const digest = 'A'.repeat(43);
    // Stronger than today's parameters: no rehash (parsed, not matched by the fast path).
    expect(hasher.needsRehash(`$argon2id$v=19$m=65536,t=3,p=1$${salt}$${digest}`)).toBe(false);
    // Same cost, other variant or version, or weaker: rehash.
    expect(hasher.needsRehash(`$argon2i$v=19$m=19456,t=2,p=1$${salt}$${digest}`)).toBe(true);
    expect(hasher.needsRehash(`$argon2d$v=19$m=19456,t=2,p=1$${salt}$${digest}`)).toBe(true);
    expect(hasher.needsRehash(`$argon2id$v=16$m=19456,t=2,p=1$${salt}$${digest}`)).toBe(true);
    expect(hasher.needsRehash(`$argon2id$v=19$m=19455,t=2,p=1$${salt}$${digest}`)).toBe(true);
    expect(hasher.needsRehash(`$argon2id$v=19$m=19456,t=1,p=1$${salt}$${digest}`)).toBe(true);
    // Look-alikes of the current prefix are parsed, not waved through.
    expect(hasher.needsRehash(`$argon2id$v=19$m=194560,t=2,p=1$${salt}$${digest}`)).toBe(false);
    expect(hasher.needsRehash('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(hasher.needsRehash('$argon2id$v=19$m=19456,t=2,p=1$garbage')).toBe(true);
    expect(hasher.needsRehash('$2b$10$abcdefghijklmnopqrstuv')).toBe(true);
    // Other parameters configured: the fast path follows them.
    const custom = new PasswordHasher({ params: { memoryCostKiB: 1024, timeCost: 1 } });
    expect(custom.needsRehash(await custom.hash('custom params password'))).toBe(false);
    expect(custom.needsRehash(current)).toBe(false);
    expect(hasher.needsRehash(await custom.hash('custom params password'))).toBe(true);
  });

  it('treats an unknown hash format as a miss, after paying a dummy verify', async () => {
    await expect(hasher.verify('plaintext-oops', 'plaintext-oops')).resolves.toEqual({
      ok: false,
      needsRehash: false,
    });
  });

  it('dummyVerify costs about one real verify', async () => {
    const hash = await hasher.hash('timing password');
    await hasher.dummyVerify('warm up the dummy hash');
    // CPU time of the process (the hashing worker threads included), not wall time: a busy
    // machine stretches the wall clock of either side unevenly, never the work done.
    const timed = async (fn: () => Promise<unknown>) => {
      const start = process.cpuUsage();
      await fn();
      const used = process.cpuUsage(start);
      return used.user + used.system;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const real: number[] = [];
    const dummy: number[] = [];
    // Interleaved, so whatever else this process does hits both sides alike.
    for (let i = 0; i < 9; i++) {
      real.push(await timed(() => hasher.verify(hash, 'wrong password')));
      dummy.push(await timed(() => hasher.dummyVerify('wrong password')));
    }
    const ratio = median(dummy) / median(real);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it('sends hash and verify through the bounded queue', async () => {
    const queue = new HashQueue({ maxInFlight: 1, maxQueued: 1 });
    const bounded = new PasswordHasher({ queue, params: { memoryCostKiB: 1024, timeCost: 1 } });
    const stored = await new PasswordHasher().hash('x'.repeat(10));
    const running = bounded.hash('first password');
    const waiting = bounded.verify(stored, 'x'.repeat(10));
    expect([queue.inFlight, queue.queued]).toEqual([1, 1]);
    const third = bounded.hash('third password');
    await expect(third).rejects.toBeInstanceOf(ServiceBusyError);
    await expect(running).resolves.toMatch(/^\$argon2id\$/);
    await expect(waiting).resolves.toMatchObject({ ok: true });
    await bounded.close();
  });

  it.runIf(process.platform === 'linux')(
    'hashes on worker threads at lowered CPU priority (niceness 10 by default)',
    async () => {
      const queue = new HashQueue({ maxInFlight: 2, maxQueued: 10 });
      const niced = new PasswordHasher({ queue, params: { memoryCostKiB: 1024, timeCost: 1 } });
      const before = threadNiceness().filter((n) => n === 10).length;
      await Promise.all([niced.hash('one password'), niced.hash('two password')]);
      expect(threadNiceness().filter((n) => n === 10).length - before).toBe(2);
      await niced.close();
      expect(threadNiceness().filter((n) => n === 10).length).toBe(before);
    },
  );

  it('close() stops the workers, and a later call starts them again', async () => {
    const local = new PasswordHasher({ params: { memoryCostKiB: 1024, timeCost: 1 } });
    await local.close(); // never started: nothing to do
    const hash = await local.hash('before close');
    await local.close();
    await local.close();
    await expect(local.verify(hash, 'before close')).resolves.toMatchObject({ ok: true });
    await local.close();
  });
});
