import { EVENT_TYPES } from '../../events/index.ts';
import type { DetectionRule, RulePolicyBase } from './rule.ts';
import type { RuleEventOf, RuleRunMode } from './verdict.ts';

/** Longest user agent kept in events and logs. */
export const MAX_USER_AGENT_LENGTH = 256;

/** Strips control characters (log injection) and caps the length at 256 characters. */
export function sanitizeUserAgent(userAgent: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point.
  return userAgent.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, MAX_USER_AGENT_LENGTH);
}

// Scanners, scripted HTTP clients and headless browsers **(origin: log only)**.
const PATTERNS: readonly (readonly [string, RegExp])[] = [
  [
    'scanner',
    /sqlmap|nikto|nmap|masscan|zgrab|nuclei|dirbuster|gobuster|wpscan|acunetix|nessus|openvas|w3af|zmeu/i,
  ],
  [
    'http_library',
    /curl\/|wget\/|python-requests|python-urllib|aiohttp|httpx|go-http-client|okhttp|java\/|apache-httpclient|httpclient|libwww-perl|node-fetch|axios\/|undici|got \(|ruby|php\/|powershell|winhttp/i,
  ],
  ['headless', /headless|phantomjs|selenium|puppeteer|playwright|webdriver|scrapy|crawler|spider/i],
];

/** The category of a suspicious user agent (`empty`, `scanner`, `http_library`, `headless`) or null. */
export function classifyUserAgent(userAgent: string): string | null {
  if (userAgent.trim() === '') return 'empty';
  for (const [category, pattern] of PATTERNS) if (pattern.test(userAgent)) return category;
  return null;
}

/**
 * Remembers the category of recently seen user agents (a few distinct strings make up most
 * traffic) so the patterns run once per string, not once per request. Bounded in entries.
 */
export class UserAgentClassifier {
  readonly #seen = new Map<string, string | null>();
  readonly #maxEntries: number;

  constructor(maxEntries = 1000) {
    this.#maxEntries = maxEntries;
  }

  /** Same answer as `classifyUserAgent`. */
  classify(userAgent: string): string | null {
    const known = this.#seen.get(userAgent);
    if (known !== undefined) return known;
    const category = classifyUserAgent(userAgent);
    if (this.#seen.size >= this.#maxEntries) this.#seen.clear();
    this.#seen.set(userAgent, category);
    return category;
  }
}

/** suspicious_user_agent: log only, a low-severity event naming the matched category. */
export function evaluateUserAgent(
  category: string | null,
  mode: RuleRunMode,
): RuleEventOf<'suspicious_user_agent'> | null {
  if (category === null) return null;
  const severity = EVENT_TYPES.suspicious_user_agent.severity;
  return { type: 'suspicious_user_agent', severity, details: { category, mode } };
}

/** suspicious_user_agent: scanners, scripted clients, headless browsers (log only). */
export const suspiciousUserAgentRule: DetectionRule<'suspicious_user_agent', RulePolicyBase> = {
  name: 'suspicious_user_agent',
  defaults: { mode: 'enforce' },
  eventTypes: ['suspicious_user_agent'],
  scope: 'ip',
  inspect: (category, _policy, mode) => evaluateUserAgent(category, mode),
};
