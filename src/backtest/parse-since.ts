const UNIT_MS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000 };

/**
 * A period start from `7d`, `24h`, `90m` (before `now`) or an ISO 8601 time; epoch ms, or null
 * when `text` is neither.
 */
export function parseSince(text: string, now: number): number | null {
  const relative = /^(\d{1,6})([dhm])$/.exec(text.trim());
  if (relative !== null) {
    const [, amount = '0', unit = 'd'] = relative;
    return now - Number(amount) * (UNIT_MS[unit] ?? 0);
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) || at > now ? null : at;
}
