import type { IpRuleLimits } from '../counter-store.ts';
import { precheckIpScript } from '../lua/index.ts';
import { BLOCK_REASONS } from '../rule-thresholds.ts';
import { type Script, script } from './script-runner.ts';

/**
 * The precheck scripts, one per distinct policy (its limits are written into the script
 * text): built and hashed once; the last pair of limit objects seen answers without a lookup.
 */
export class PrecheckScripts {
  readonly #pendingTtlMs: number;
  readonly #maxEntries: number;
  readonly #byConfig = new Map<string, Script>();
  #last: { bot: IpRuleLimits; bruteForce: IpRuleLimits; script: Script } | null = null;
  #setNxGet: boolean;

  constructor(options: { pendingTtlMs: number; maxEntries: number; setNxGet: boolean }) {
    this.#pendingTtlMs = options.pendingTtlMs;
    this.#maxEntries = options.maxEntries;
    this.#setNxGet = options.setNxGet;
  }

  /** From now on, read before writing: this Redis is older than 7.0. */
  disableSetNxGet(): void {
    if (!this.#setNxGet) return;
    this.#setNxGet = false;
    this.#last = null;
  }

  /** The precheck script for these limits. */
  get(bot: IpRuleLimits, bruteForce: IpRuleLimits): Script {
    const last = this.#last;
    if (last !== null && last.bot === bot && last.bruteForce === bruteForce) return last.script;
    const config = {
      botLimit: bot.limit,
      botWindowMs: bot.windowMs,
      botBlockMs: bot.blockMs,
      botEnforced: bot.isEnforced,
      bruteLimit: bruteForce.limit,
      bruteWindowMs: bruteForce.windowMs,
      bruteBlockMs: bruteForce.blockMs,
      bruteEnforced: bruteForce.isEnforced,
      pendingTtlMs: this.#pendingTtlMs,
      maxEntries: this.#maxEntries,
      botReason: BLOCK_REASONS.bot_activity,
      bruteReason: BLOCK_REASONS.brute_force,
      setNxGet: this.#setNxGet,
    };
    const key = JSON.stringify(config);
    let found = this.#byConfig.get(key);
    if (found === undefined) {
      // Policies change rarely; a caller passing ever-new limits must not grow this forever.
      if (this.#byConfig.size >= 64) this.#byConfig.clear();
      found = script(precheckIpScript(config), config.setNxGet);
      this.#byConfig.set(key, found);
    }
    this.#last = { bot, bruteForce, script: found };
    return found;
  }
}
