import { EVENT_TYPES, isSecurityEventType } from '../events/event-types.ts';
import type { Severity } from '../events/severity.ts';
import type { AlertSample, Ranked, WindowSummary } from './alert-window.ts';

/** Why a message is sent: a rule's first event, a window's digest, or an operator's test. */
export type AlertKind = 'first' | 'digest' | 'test';

/** The structured content of an alert: stored in `alerts.details` and sent to the webhook. */
export interface AlertFacts {
  readonly eventCount: number;
  /** Lower bounds when the matching `is…Capped` is true (the window tracked its maximum). */
  readonly distinctIps: number;
  readonly distinctAccounts: number;
  readonly isDistinctIpsCapped: boolean;
  readonly isDistinctAccountsCapped: boolean;
  /** Events whose IP (account) was past the window's tracking cap; included in `eventCount`. */
  readonly untrackedIpEvents: number;
  readonly untrackedAccountEvents: number;
  readonly topIps: readonly Ranked[];
  readonly topAccounts: readonly Ranked[];
  /** ISO 8601 times of the first and last event summed up. */
  readonly firstAt: string;
  readonly lastAt: string;
  /** How many events reported each action taken (`block`, `throttle`…). */
  readonly actions: Readonly<Record<string, number>>;
}

/** One alert, channel-neutral: what the e-mail and the webhook body are rendered from. */
export interface AlertMessage {
  readonly kind: AlertKind;
  readonly rule: string;
  readonly severity: Severity;
  /** `[flux-auth] high: brute_force — 37 IPs blocked in 5 min`. */
  readonly subject: string;
  /** The subject's part after the dash: `37 IPs blocked in 5 min`. */
  readonly headline: string;
  /** What the rule means, from the event-type table. */
  readonly description: string;
  readonly facts: AlertFacts;
  /** Caveats to show with the facts (distinct counts that are lower bounds); often none. */
  readonly notes: readonly string[];
  /** `${PUBLIC_URL}/admin`, or null when PUBLIC_URL is not set. */
  readonly dashboardUrl: string | null;
}

/** The first alert of a rule: the one event that opened its window. */
export function firstAlertMessage(
  rule: string,
  sample: AlertSample,
  dashboardUrl: string | null,
): AlertMessage {
  const at = new Date(sample.at).toISOString();
  const facts: AlertFacts = {
    eventCount: 1,
    distinctIps: sample.ip === null ? 0 : 1,
    distinctAccounts: sample.account === null ? 0 : 1,
    ...UNCAPPED,
    topIps: sample.ip === null ? [] : [{ value: sample.ip, count: 1 }],
    topAccounts: sample.account === null ? [] : [{ value: sample.account, count: 1 }],
    firstAt: at,
    lastAt: at,
    actions: sample.action === null ? {} : { [sample.action]: 1 },
  };
  const who = sample.ip === null ? '' : ` from ${sample.ip}`;
  const headline =
    sample.action === 'block' && sample.ip !== null ? `IP ${sample.ip} blocked` : `1 event${who}`;
  return build('first', rule, sample.severity, headline, facts, dashboardUrl);
}

/** The digest of one window: everything after the first alert, summed up. */
export function digestMessage(summary: WindowSummary, dashboardUrl: string | null): AlertMessage {
  const facts: AlertFacts = {
    eventCount: summary.eventCount,
    distinctIps: summary.distinctIps,
    distinctAccounts: summary.distinctAccounts,
    isDistinctIpsCapped: summary.isDistinctIpsCapped,
    isDistinctAccountsCapped: summary.isDistinctAccountsCapped,
    untrackedIpEvents: summary.untrackedIpEvents,
    untrackedAccountEvents: summary.untrackedAccountEvents,
    topIps: summary.topIps,
    topAccounts: summary.topAccounts,
    firstAt: new Date(summary.firstAt).toISOString(),
    lastAt: new Date(summary.lastAt).toISOString(),
    actions: summary.actions,
  };
  const blocked = summary.actions.block ?? 0;
  const what =
    blocked > 0
      ? `${plural(blocked, 'IP')} blocked`
      : `${plural(summary.eventCount, 'event')} from ${distinctIpsText(facts)}`;
  const headline = `${what} in ${describeSpan(summary.lastAt - summary.firstAt)}`;
  return build('digest', summary.rule, summary.severity, headline, facts, dashboardUrl);
}

/** The message of `alert-test` and `POST /api/admin/alerts/test`. `at` is epoch ms. */
export function testAlertMessage(at: number, dashboardUrl: string | null): AlertMessage {
  const time = new Date(at).toISOString();
  const facts: AlertFacts = {
    eventCount: 0,
    distinctIps: 0,
    distinctAccounts: 0,
    ...UNCAPPED,
    topIps: [],
    topAccounts: [],
    firstAt: time,
    lastAt: time,
    actions: {},
  };
  return build('test', 'test', 'info', 'test message, no action needed', facts, dashboardUrl);
}

function build(
  kind: AlertKind,
  rule: string,
  severity: Severity,
  headline: string,
  facts: AlertFacts,
  dashboardUrl: string | null,
): AlertMessage {
  const description = isSecurityEventType(rule)
    ? EVENT_TYPES[rule].description
    : 'A test of the alert channels';
  return {
    kind,
    rule,
    severity,
    subject: `[flux-auth] ${severity}: ${rule} — ${headline}`,
    headline,
    description,
    facts,
    notes: capNotes(facts),
    dashboardUrl,
  };
}

// `37 IPs`, or `10,000+ IPs` when the window's IP tracking was full.
function distinctIpsText(facts: AlertFacts): string {
  return facts.isDistinctIpsCapped
    ? `${formatCount(facts.distinctIps)}+ IPs`
    : plural(facts.distinctIps, 'IP');
}

/** A count with thousands separators: `12,345`. */
export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

const UNCAPPED = {
  isDistinctIpsCapped: false,
  isDistinctAccountsCapped: false,
  untrackedIpEvents: 0,
  untrackedAccountEvents: 0,
} as const;

// The distinct counts stop growing at the window's cap: say so rather than under-report.
function capNotes(facts: AlertFacts): string[] {
  const notes: string[] = [];
  if (facts.isDistinctIpsCapped) {
    const cap = formatCount(facts.distinctIps);
    notes.push(
      `More than ${cap} IPs: a window tracks at most ${cap}; ${plural(facts.untrackedIpEvents, 'event')} came from untracked IPs (in Events, not in Distinct IPs or Top IPs).`,
    );
  }
  if (facts.isDistinctAccountsCapped) {
    const cap = formatCount(facts.distinctAccounts);
    notes.push(
      `More than ${cap} accounts: a window tracks at most ${cap}; ${plural(facts.untrackedAccountEvents, 'event')} concerned untracked accounts (in Events, not in Distinct accounts or Top accounts).`,
    );
  }
  return notes;
}

function plural(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}

// Whole minutes, rounded up (a digest of 40 s of events says "in 1 min").
function describeSpan(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 60_000))} min`;
}
