import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary as commonDictionary } from '@zxcvbn-ts/language-common';
import { dictionary as englishDictionary, translations } from '@zxcvbn-ts/language-en';

/** A guessability score: 0 (guessed at once) to 4 (very unguessable), as zxcvbn defines it. */
export type StrengthScore = 0 | 1 | 2 | 3 | 4;

/** What an estimator says about one password: the score and, in plain words, why. */
export interface StrengthEstimate {
  readonly score: StrengthScore;
  /** The main weakness found, e.g. "This is a commonly used password."; null when none. */
  readonly warning: string | null;
  /** Plain-words advice, e.g. "Add more words that are less common." */
  readonly suggestions: readonly string[];
}

/** Scores how guessable a password is; `userInputs` are words an attacker knows about the user. */
export interface StrengthEstimator {
  estimate(password: string, userInputs: readonly string[]): StrengthEstimate;
}

/** Tuning of {@link ZxcvbnStrengthEstimator}; the defaults keep one estimate well under a hash. */
export interface ZxcvbnStrengthEstimatorOptions {
  /**
   * Code points analysed from the start of the password (default 20: the longest entry of the
   * common-password list fits whole). The rest is not scored, only hashed: zxcvbn's cost grows
   * with length (all 128 took up to seconds); what attackers try first is short.
   */
  readonly maxAnalysedCodePoints?: number;
  /** l33t-speak variants tried per password (default 2: the full substitution and one more). */
  readonly l33tMaxSubstitutions?: number;
}

/** Default of {@link ZxcvbnStrengthEstimatorOptions.maxAnalysedCodePoints}. */
export const DEFAULT_MAX_ANALYSED_CODE_POINTS = 20;

// The word-sequence lists (numbers, months, planets, …) are left out: they are tiny but each is
// one more lookup for every substring in every pass, which more than doubled the cost of an
// estimate, while the words themselves are in the common-words and password lists anyway.
const DICTIONARY = {
  ...commonDictionary,
  'commonWords-en': englishDictionary['commonWords-en'],
  'firstnames-en': englishDictionary['firstnames-en'],
  'lastnames-en': englishDictionary['lastnames-en'],
  'wikipedia-en': englishDictionary['wikipedia-en'],
};

/**
 * zxcvbn-ts with the common and English dictionaries and keyboard graphs, built once in the
 * constructor (a few hundred ms: share one instance per process). Scores only a bounded prefix
 * of the password; never use it to shorten what is hashed.
 */
export class ZxcvbnStrengthEstimator implements StrengthEstimator {
  readonly #zxcvbn: ZxcvbnFactory;
  readonly #maxAnalysedCodePoints: number;

  constructor(options: ZxcvbnStrengthEstimatorOptions = {}) {
    this.#maxAnalysedCodePoints = options.maxAnalysedCodePoints ?? DEFAULT_MAX_ANALYSED_CODE_POINTS;
    this.#zxcvbn = new ZxcvbnFactory({
      translations,
      graphs: adjacencyGraphs,
      dictionary: DICTIONARY,
      l33tMaxSubstitutions: options.l33tMaxSubstitutions ?? 2,
    });
  }

  /** Scores the first `maxAnalysedCodePoints` code points of `password`. */
  estimate(password: string, userInputs: readonly string[]): StrengthEstimate {
    // Cut by code points, never inside a surrogate pair (zxcvbn's own maxLength counts UTF-16 units).
    const analysed = [...password].slice(0, this.#maxAnalysedCodePoints).join('');
    const result = this.#zxcvbn.check(analysed, [...userInputs]);
    return {
      score: result.score,
      warning: result.feedback.warning,
      suggestions: result.feedback.suggestions,
    };
  }
}
