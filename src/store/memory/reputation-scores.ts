import { BoundedMap } from '../bounded-map.ts';
import {
  MAX_REPUTATION_REASONS,
  type ReputationInput,
  type ReputationReason,
  type ReputationScore,
} from '../counter-store.ts';
import { addPoints, DECAY } from '../reputation-math.ts';

interface Entry {
  score: number;
  at: number;
  halfLifeMs: number;
  reasons: ReputationReason[];
}

/** Under this a decayed score counts as gone (the key may be swept). */
const NEGLIGIBLE = 0.01;

const NONE: ReputationScore = Object.freeze({ score: 0, reasons: Object.freeze([]) });

/** Reputation scores of the in-process store: exact, bounded in keys. */
export class ReputationScores {
  readonly #entries: BoundedMap<Entry>;

  constructor(maxKeys: number) {
    this.#entries = new BoundedMap(maxKeys, (e, now) => this.#decayed(e, now) < NEGLIGIBLE);
  }

  add(input: ReputationInput): ReputationScore {
    const { ipKey, now, halfLifeMs } = input;
    const entry = this.#entries.get(ipKey);
    const decayed = entry === undefined ? 0 : DECAY.test(entry.score, now - entry.at, halfLifeMs);
    const reason = { type: input.type, points: input.points, at: now };
    const reasons = [reason, ...(entry?.reasons ?? [])].slice(0, MAX_REPUTATION_REASONS);
    const next = { score: addPoints(decayed, input.points), at: now, halfLifeMs, reasons };
    this.#entries.set(ipKey, next, now);
    return { score: next.score, reasons };
  }

  get(ipKey: string, now: number, halfLifeMs: number): ReputationScore {
    const entry = this.#entries.get(ipKey);
    if (entry === undefined) return NONE;
    return { score: DECAY.test(entry.score, now - entry.at, halfLifeMs), reasons: entry.reasons };
  }

  isAtLeast(ipKey: string, threshold: number, now: number): boolean {
    const entry = this.#entries.get(ipKey);
    return entry !== undefined && this.#decayed(entry, now) >= threshold;
  }

  delete(ipKey: string): void {
    this.#entries.delete(ipKey);
  }

  #decayed(entry: Entry, now: number): number {
    return DECAY.test(entry.score, now - entry.at, entry.halfLifeMs);
  }
}
