import {
  MAX_REPUTATION_REASONS,
  type ReputationInput,
  type ReputationScore,
} from '../counter-store.ts';
import { ADD_REPUTATION, GET_REPUTATION } from '../lua/index.ts';
import type { RedisClient } from '../redis-client.ts';
import { untilBelow } from '../reputation-math.ts';
import { decodeReputation } from './replies.ts';
import { runScript, script } from './script-runner.ts';
import { ThrottleDirectory } from './throttle-directory.ts';

const ADD = script(ADD_REPUTATION);
const GET = script(GET_REPUTATION);

/** Options of the per-threshold directories (see `ThrottleDirectory`). */
interface DirectoryOptions {
  readonly maxAgeMs: number;
  readonly maxEntries: number;
  readonly monotonic?: () => number;
}

/**
 * Reputation on Redis: the score of a key in a hash beside its counters (same hash tag), and
 * for each threshold a fleet-wide directory of the keys at or above it until they decay below
 * it, which a precheck reads without I/O (this instance's copy, at most ~1 s stale).
 */
export class RedisReputation {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #options: DirectoryOptions;
  readonly #byThreshold = new Map<number, ThrottleDirectory>();

  constructor(client: RedisClient, prefix: string, options: DirectoryOptions) {
    this.#client = client;
    this.#prefix = prefix;
    this.#options = options;
  }

  /** The reputation hash of a client key. */
  keyOf(ipKey: string): string {
    return `${this.#prefix}{ip:${ipKey}}:rep`;
  }

  /** Adds points (one script), then indexes the key under each threshold it reaches. */
  async add(input: ReputationInput): Promise<ReputationScore> {
    const { ipKey, now, halfLifeMs } = input;
    const args = [now, halfLifeMs, input.points, input.type, MAX_REPUTATION_REASONS];
    const reply = await runScript(this.#client, ADD, [this.keyOf(ipKey)], args);
    const result = decodeReputation(reply);
    for (const threshold of input.thresholds) {
      const until = untilBelow(result.score, now, threshold, halfLifeMs);
      if (until > now) this.#directory(threshold).publish(ipKey, until, now);
    }
    return result;
  }

  async get(ipKey: string, now: number, halfLifeMs: number): Promise<ReputationScore> {
    const reply = await runScript(this.#client, GET, [this.keyOf(ipKey)], [now, halfLifeMs]);
    return decodeReputation(reply);
  }

  isAtLeast(ipKey: string, threshold: number, now: number): boolean {
    return this.#directory(threshold).untilOf(ipKey, now) > now;
  }

  /**
   * Drops the key from every directory the fleet uses (its hash is deleted by the unblock
   * script), including thresholds this process never read (e.g. an unblock from the CLI).
   */
  async forget(ipKey: string): Promise<void> {
    const used = await this.#client.smembers(this.#thresholdsKey());
    const thresholds = new Set([...used.map(Number), ...this.#byThreshold.keys()]);
    for (const threshold of thresholds) {
      if (Number.isFinite(threshold)) await this.#directory(threshold).forget(ipKey);
    }
  }

  #thresholdsKey(): string {
    return `${this.#prefix}reputation:thresholds`;
  }

  #directory(threshold: number): ThrottleDirectory {
    let directory = this.#byThreshold.get(threshold);
    if (directory === undefined) {
      const key = `${this.#prefix}reputation:${threshold}`;
      directory = new ThrottleDirectory({ client: this.#client, key, ...this.#options });
      this.#byThreshold.set(threshold, directory);
      this.#client.sadd(this.#thresholdsKey(), String(threshold)).catch(() => {});
    }
    return directory;
  }
}
