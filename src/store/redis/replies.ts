import type {
  AccountRecordResult,
  BlockRecord,
  IpPrecheckResult,
  IpRuleName,
  ReputationReason,
  ReputationScore,
} from '../counter-store.ts';
import { PRECHECK_COUNT_RADIX } from '../lua/index.ts';

/** A reply field as a number (0 when absent or not numeric). */
export function num(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** A script's array reply; throws on anything else. */
export function asArray(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new Error('Unexpected Redis script reply');
  return reply;
}

/** A boolean as a script argument. */
export function flag(value: boolean): string {
  return value ? '1' : '0';
}

/** The account as stored in a failure slot: never ',', ';' or '|' (the separators). */
export function slotAccount(account: string): string {
  // Raw values never hold '%' and escaped ones always do, so two accounts never collide.
  return /[,;|%]/.test(account) ? encodeURIComponent(account) : account;
}

/** `monitored` by bit set (1 bot_activity, 2 brute_force), shared and frozen. */
const MONITORED: readonly (readonly IpRuleName[])[] = [
  Object.freeze([]),
  Object.freeze(['bot_activity'] as const),
  Object.freeze(['brute_force'] as const),
  Object.freeze(['bot_activity', 'brute_force'] as const),
];

/** The block fields `{rule, reason, createdAt, expiresAt, manual, count, limit, windowMs}` from `at`. */
export function decodeBlock(
  ipKey: string,
  fields: readonly unknown[],
  at: number,
): BlockRecord | null {
  const expiresAt = fields[at + 3];
  if (expiresAt === null || expiresAt === undefined) return null;
  return {
    ipKey,
    rule: String(fields[at]),
    reason: String(fields[at + 1]),
    createdAt: num(fields[at + 2]),
    expiresAt: num(expiresAt),
    manual: String(fields[at + 4]) === '1',
    evidence: {
      count: num(fields[at + 5]),
      limit: num(fields[at + 6]),
      windowMs: num(fields[at + 7]),
    },
  };
}

/**
 * The precheck script's reply: for ok | reserved | busy one packed integer (see
 * `precheckIpScript`), for blocked | created `{status, requests, failures, pending, monBot,
 * monBrute, ...block}`.
 */
export function decodePrecheck(
  ipKey: string,
  reservation: string,
  reply: unknown,
): IpPrecheckResult {
  if (typeof reply === 'number') {
    const flags = reply % 16;
    let counts = (reply - flags) / 16;
    const requests = counts % PRECHECK_COUNT_RADIX;
    counts = (counts - requests) / PRECHECK_COUNT_RADIX;
    const failures = counts % PRECHECK_COUNT_RADIX;
    const status = flags & 3;
    return {
      block: null,
      isBlockCreated: false,
      requests,
      failures,
      pending: (counts - failures) / PRECHECK_COUNT_RADIX,
      reservation: status === 1 ? reservation : null,
      isBusy: status === 2,
      monitored: MONITORED[flags >> 2] as readonly IpRuleName[],
    };
  }
  const fields = asArray(reply);
  return {
    block: decodeBlock(ipKey, fields, 6),
    isBlockCreated: String(fields[0]) === 'created',
    requests: num(fields[1]),
    failures: num(fields[2]),
    pending: num(fields[3]),
    reservation: null,
    isBusy: false,
    monitored: MONITORED[num(fields[4]) + 2 * num(fields[5])] as readonly IpRuleName[],
  };
}

/** The record-account script's reply (see `RECORD_ACCOUNT`). */
export function decodeAccountRecord(reply: unknown): AccountRecordResult {
  const fields = asArray(reply);
  const prevIpKey = String(fields[4] ?? '');
  return {
    failures: num(fields[0]),
    distinctIps: num(fields[1]),
    throttleStartedUntil: num(fields[2]),
    previousLogin:
      prevIpKey === '' ? null : { ip: String(fields[3]), ipKey: prevIpKey, at: num(fields[5]) },
    distinctDevices: num(fields[6]),
    isNewDevice: num(fields[7]) === 1,
  };
}

/** The reputation scripts' reply `{score string, reasons json}`. */
export function decodeReputation(reply: unknown): ReputationScore {
  const fields = asArray(reply);
  const raw = JSON.parse(String(fields[1] ?? '[]')) as unknown;
  const list = Array.isArray(raw) ? raw : []; // cjson encodes an empty table as {}
  const reasons: ReputationReason[] = list.map((r: unknown) => {
    const [type, points, at] = asArray(r);
    return { type: String(type), points: num(points), at: num(at) };
  });
  return { score: num(fields[0]), reasons };
}
