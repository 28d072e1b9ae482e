import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';

/** What the dashboard's overview shows besides the charts, over `[sinceMs, now)`. */
export interface Overview {
  /** IPs with the most security events (any type), most first. */
  readonly topIps: { ip: string; events: number }[];
  /** Account keys (SHA-256 prefix of the e-mail, see `hashAccount`) with the most failed logins. */
  readonly topAccounts: { accountKey: string; failedLogins: number }[];
  /** Alert messages by outcome, and the latest few. */
  readonly alerts: {
    readonly sent: number;
    readonly failed: number;
    readonly dropped: number;
    readonly latest: {
      at: string;
      rule: string;
      severity: string;
      channel: string;
      outcome: string;
    }[];
  };
}

const TOP = 10;
const LATEST_ALERTS = 5;

/** Top offenders and alert state since `sinceMs` (epoch ms), from the database. */
export async function queryOverview(db: Kysely<Database>, sinceMs: number): Promise<Overview> {
  const [ips, accounts, outcomes, latest] = await Promise.all([
    db
      .selectFrom('security_events')
      .select(['ip', (eb) => eb.fn.countAll<string>().as('n')])
      .where('created_at', '>=', sinceMs)
      .where('ip', 'is not', null)
      .groupBy('ip')
      .orderBy('n', 'desc')
      .limit(TOP)
      .execute(),
    db
      .selectFrom('login_outcomes')
      .select(['account_key', (eb) => eb.fn.countAll<string>().as('n')])
      .where('outcome', '=', 'failure')
      .where('occurred_at', '>=', sinceMs)
      .groupBy('account_key')
      .orderBy('n', 'desc')
      .limit(TOP)
      .execute(),
    db
      .selectFrom('alerts')
      .select(['outcome', (eb) => eb.fn.countAll<string>().as('n')])
      .where('created_at', '>=', sinceMs)
      .groupBy('outcome')
      .execute(),
    db
      .selectFrom('alerts')
      .select(['created_at', 'rule', 'severity', 'channel', 'outcome'])
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(LATEST_ALERTS)
      .execute(),
  ]);
  const byOutcome = (name: string) => Number(outcomes.find((o) => o.outcome === name)?.n ?? 0);
  return {
    topIps: ips.map((r) => ({ ip: String(r.ip), events: Number(r.n) })),
    topAccounts: accounts.map((r) => ({ accountKey: r.account_key, failedLogins: Number(r.n) })),
    alerts: {
      sent: byOutcome('sent'),
      failed: byOutcome('failed'),
      dropped: byOutcome('dropped'),
      latest: latest.map((r) => ({
        at: new Date(Number(r.created_at)).toISOString(),
        rule: r.rule,
        severity: r.severity,
        channel: r.channel,
        outcome: r.outcome,
      })),
    },
  };
}
