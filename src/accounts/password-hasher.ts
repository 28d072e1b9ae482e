import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  type Algorithm,
  hashSync as argon2HashSync,
  parseOptions,
  type Version,
} from '@node-rs/argon2';
import { Piscina } from 'piscina';
import { HashQueue } from './hash-queue.ts';

/** Plain JS, so worker threads load it without tsx (they do not inherit its loader). */
const WORKER_FILE = fileURLToPath(new URL('./hash-worker.mjs', import.meta.url));

/** Niceness hash worker threads add to themselves on Linux, so the event loop wins a core. */
const DEFAULT_WORKER_NICE = 10;

/** A task for hash-worker.mjs. */
type HashTask =
  | { readonly op: 'hash'; readonly password: string; readonly options: object }
  | { readonly op: 'verify' | 'bcrypt'; readonly hash: string; readonly password: string };

// @node-rs/argon2 declares these as ambient const enums, which isolated modules cannot read.
const ARGON2ID = 2 as Algorithm;
const VERSION_0X13 = 1 as Version;

const BCRYPT_PREFIX = /^\$2[aby]\$\d{2}\$/;

/** argon2id cost parameters; the defaults are OWASP's (19 MiB, 2 passes, 1 lane). */
export interface Argon2Params {
  /** Memory per hash in KiB; default 19456 (19 MiB). */
  readonly memoryCostKiB: number;
  /** Passes over memory; default 2. */
  readonly timeCost: number;
  /** Lanes; default 1. */
  readonly parallelism: number;
}

/** The service's argon2id parameters (OWASP Password Storage Cheat Sheet minimum). */
export const DEFAULT_ARGON2_PARAMS: Argon2Params = {
  memoryCostKiB: 19456,
  timeCost: 2,
  parallelism: 1,
};

/** Options for {@link PasswordHasher}. */
export interface PasswordHasherOptions {
  readonly params?: Partial<Argon2Params>;
  /** Bounds concurrent hashing; default: a private queue with default limits. */
  readonly queue?: HashQueue;
  /**
   * Niceness (0–19) the hash worker threads add to themselves on Linux, so the event loop
   * thread is never starved by hashing; 0 leaves them at normal priority. Default 10.
   */
  readonly workerNice?: number;
}

/** Outcome of {@link PasswordHasher.verify}. */
export interface VerifyResult {
  readonly ok: boolean;
  /** True when the stored hash is legacy (bcrypt) or weaker than the current parameters. */
  readonly needsRehash: boolean;
}

/**
 * argon2id hashing on a pool of low-priority worker threads (one per queue slot), bounded by a
 * HashQueue; also verifies legacy bcrypt (`$2a$`, `$2b$`, `$2y$`) hashes and flags them for
 * rehashing. Throws ServiceBusyError when full. The pool starts on first use; `close()` it.
 */
export class PasswordHasher {
  readonly #params: Argon2Params;
  readonly #queue: HashQueue;
  readonly #workerNice: number;
  #pool: Piscina<HashTask, string | boolean> | null = null;
  readonly #dummyHash: string;
  /** Matches a well-formed PHC string made with exactly the current parameters. */
  readonly #current: RegExp;

  /** Computes the dummy hash synchronously (one hash, ~15 ms at default cost): do it at boot. */
  constructor(options: PasswordHasherOptions = {}) {
    this.#params = { ...DEFAULT_ARGON2_PARAMS, ...options.params };
    this.#queue = options.queue ?? new HashQueue();
    this.#workerNice = options.workerNice ?? DEFAULT_WORKER_NICE;
    const { memoryCostKiB, timeCost, parallelism } = this.#params;
    this.#current = new RegExp(
      `^\\$argon2id\\$v=19\\$m=${memoryCostKiB},t=${timeCost},p=${parallelism}\\$[A-Za-z0-9+/]{11,64}\\$[A-Za-z0-9+/]{22,}$`,
    );
    // Made once, up front, with the live parameters: a lazily computed dummy would make the
    // first unknown-email login cost two hashes, and fixed parameters could drift from ours.
    this.#dummyHash = argon2HashSync(randomBytes(24).toString('base64url'), this.#argon2Options());
  }

  /** The argon2id parameters new hashes use. */
  get params(): Argon2Params {
    return this.#params;
  }

  /** Hashes a password to an argon2id PHC string (`$argon2id$v=19$m=…`). */
  hash(password: string): Promise<string> {
    const options = this.#argon2Options();
    return this.#queue.run(() => this.#run<string>({ op: 'hash', password, options }));
  }

  /**
   * Checks `password` against a stored argon2id or bcrypt hash. An unrecognised or corrupt
   * hash verifies as false after paying a dummy verify, so it costs the same as a miss.
   */
  async verify(storedHash: string, password: string): Promise<VerifyResult> {
    if (BCRYPT_PREFIX.test(storedHash)) {
      // `$2y$` (PHP) is the same algorithm as `$2b$`, but node bcrypt only accepts a/b.
      const compatible = storedHash.startsWith('$2y$') ? `$2b$${storedHash.slice(4)}` : storedHash;
      const ok = await this.#queue.run(() =>
        this.#run<boolean>({ op: 'bcrypt', hash: compatible, password }),
      );
      return { ok, needsRehash: true };
    }
    if (storedHash.startsWith('$argon2')) {
      const ok = await this.#queue.run(() =>
        this.#run<boolean>({ op: 'verify', hash: storedHash, password }),
      );
      return { ok, needsRehash: ok && this.needsRehash(storedHash) };
    }
    await this.dummyVerify(password);
    return { ok: false, needsRehash: false };
  }

  /** True unless `storedHash` is argon2id v19 with at least the current cost parameters. */
  needsRehash(storedHash: string): boolean {
    if (!storedHash.startsWith('$argon2')) return true;
    // Fast path for every hash this service made with today's parameters: no PHC parsing
    // (a native call per login). Anything else, stronger or odd, goes through parseOptions.
    if (this.#current.test(storedHash)) return false;
    try {
      const parsed = parseOptions(storedHash);
      return (
        parsed.algorithm !== ARGON2ID ||
        parsed.version !== VERSION_0X13 ||
        parsed.memoryCost < this.#params.memoryCostKiB ||
        parsed.timeCost < this.#params.timeCost ||
        parsed.parallelism < this.#params.parallelism
      );
    } catch {
      return true;
    }
  }

  /**
   * Verifies `password` against a dummy argon2id hash with the current parameters and
   * discards the answer, so unknown emails cost what a wrong password costs.
   */
  async dummyVerify(password: string): Promise<void> {
    const dummy = this.#dummyHash;
    await this.#queue.run(() => this.#run<boolean>({ op: 'verify', hash: dummy, password }));
  }

  /** Stops the worker threads (waiting for running hashes); idempotent. Idle workers never hold the process open. */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    await pool?.close();
  }

  // Worker errors on verify come back as `false` (the worker catches them); hash errors reject.
  #run<T extends string | boolean>(task: HashTask): Promise<T> {
    this.#pool ??= new Piscina<HashTask, string | boolean>({
      filename: WORKER_FILE,
      // The queue in front decides what runs; the pool just has a thread for each slot.
      minThreads: this.#queue.maxInFlight,
      maxThreads: this.#queue.maxInFlight,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      // Linux niceness is per thread: the event loop wins a core whenever it has work, while
      // hashes still use every idle cycle. Piscina applies it through @napi-rs/nice.
      niceIncrement: this.#workerNice,
    });
    return this.#pool.run(task) as Promise<T>;
  }

  #argon2Options() {
    return {
      algorithm: ARGON2ID,
      version: VERSION_0X13,
      memoryCost: this.#params.memoryCostKiB,
      timeCost: this.#params.timeCost,
      parallelism: this.#params.parallelism,
    };
  }
}
