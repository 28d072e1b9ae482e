import type { AccountRecordInput, AccountRecordResult, LastLogin } from '../counter-store.ts';

/** What the memory store keeps per account (parallel arrays: compact). */
export interface AccountState {
  failAt: number[];
  failIp: string[];
  knownIp: string[];
  knownAt: number[];
  deviceId: string[];
  deviceAt: number[];
  last: LastLogin | null;
  throttledUntil: number;
  touchedAt: number;
}

export function keepAfter(times: number[], values: string[], cutoff: number): void {
  let drop = 0;
  while (drop < times.length && (times[drop] ?? 0) <= cutoff) drop += 1;
  times.splice(0, drop);
  values.splice(0, drop);
}

export function trimPairs(times: number[], values: string[], max: number): void {
  if (times.length <= max) return;
  times.splice(0, times.length - max);
  values.splice(0, values.length - max);
}

export function newAccountState(): AccountState {
  return {
    failAt: [],
    failIp: [],
    knownIp: [],
    knownAt: [],
    deviceId: [],
    deviceAt: [],
    last: null,
    throttledUntil: 0,
    touchedAt: 0,
  };
}

export function recordSuccess(state: AccountState, input: AccountRecordInput): AccountRecordResult {
  const { now } = input;
  upsertRecent(state.knownIp, state.knownAt, input.ipKey, now, now - input.knownIpTtlMs);
  trimPairs(state.knownAt, state.knownIp, input.knownIpMax);
  let isNewDevice = false;
  let distinctDevices = 0;
  if (input.deviceId !== null) {
    const cutoff = now - input.devicesWindowMs;
    const seen = state.deviceId.indexOf(input.deviceId);
    isNewDevice = seen < 0 || (state.deviceAt[seen] ?? 0) <= cutoff;
    upsertRecent(state.deviceId, state.deviceAt, input.deviceId, now, cutoff);
    trimPairs(state.deviceAt, state.deviceId, input.knownIpMax);
    distinctDevices = state.deviceId.length;
  }
  const previousLogin = state.last;
  state.last = { ip: input.ip, ipKey: input.ipKey, at: now };
  return {
    failures: state.failAt.length,
    distinctIps: new Set(state.failIp).size,
    throttleStartedUntil: 0,
    previousLogin,
    distinctDevices,
    isNewDevice,
  };
}

/** Keeps (value, time) pairs newer than `cutoff`, with `value` moved to the end at `now`. */
export function upsertRecent(
  values: string[],
  times: number[],
  value: string,
  now: number,
  cutoff: number,
): void {
  for (let i = values.length - 1; i >= 0; i -= 1) {
    if (values[i] === value || (times[i] ?? 0) <= cutoff) {
      values.splice(i, 1);
      times.splice(i, 1);
    }
  }
  values.push(value);
  times.push(now);
}
