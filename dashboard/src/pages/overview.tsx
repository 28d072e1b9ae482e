import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { type StatsBucket, StatsChart } from '../components/stats-chart.tsx';
import { formatTime } from '../format.ts';
import { ipHref } from '../router.ts';

interface Overview {
  detectionStore: { status: string; detail?: string; instances?: number };
  topIps: { ip: string; events: number }[];
  topAccounts: { accountKey: string; failedLogins: number }[];
  alerts: {
    sent: number;
    failed: number;
    dropped: number;
    latest: { at: string; rule: string; severity: string; channel: string; outcome: string }[];
  };
}

const HOUR_MS = 3_600_000;

async function loadStats(hours: number): Promise<StatsBucket[]> {
  const to = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS;
  const from = new Date(to - hours * HOUR_MS).toISOString();
  const path = `/api/admin/stats?from=${from}&to=${new Date(to).toISOString()}&bucket=hour`;
  return (await api<{ buckets: StatsBucket[] }>(path)).buckets;
}

/** Charts over 24 h and 7 d, detection store state, top offenders, alert state. */
export function OverviewPage() {
  const [day, setDay] = useState<StatsBucket[] | null>(null);
  const [week, setWeek] = useState<StatsBucket[] | null>(null);
  const [overview, setOverview] = useState<Overview | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    const fail = (error: unknown) => setProblem(String(error));
    loadStats(24).then(setDay, fail);
    loadStats(24 * 7).then(setWeek, fail);
    api<Overview>('/api/admin/overview').then(setOverview, fail);
  }, []);
  return (
    <>
      <h1>Overview</h1>
      {problem && <p role="alert">{problem}</p>}
      {overview && <StoreBanner store={overview.detectionStore} />}
      <section class="charts" aria-label="Activity charts">
        {day && <StatsChart title="Last 24 hours" buckets={day} />}
        {week && <StatsChart title="Last 7 days" buckets={week} />}
      </section>
      {overview && (
        <div class="columns">
          <section>
            <h2>Top offending IPs (24 h)</h2>
            <table>
              <thead>
                <tr>
                  <th scope="col">IP</th>
                  <th scope="col">Events</th>
                </tr>
              </thead>
              <tbody>
                {overview.topIps.map((row) => (
                  <tr key={row.ip}>
                    <td>
                      <a href={ipHref(row.ip)}>{row.ip}</a>
                    </td>
                    <td>{row.events}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {overview.topIps.length === 0 && <p>None.</p>}
          </section>
          <section>
            <h2>Targeted accounts (24 h)</h2>
            <p class="hint">Account keys (hash of the e-mail; the address is never stored).</p>
            <table>
              <thead>
                <tr>
                  <th scope="col">Account key</th>
                  <th scope="col">Failed logins</th>
                </tr>
              </thead>
              <tbody>
                {overview.topAccounts.map((row) => (
                  <tr key={row.accountKey}>
                    <td>
                      <code>{row.accountKey.slice(0, 12)}…</code>
                    </td>
                    <td>{row.failedLogins}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {overview.topAccounts.length === 0 && <p>None.</p>}
          </section>
          <AlertState alerts={overview.alerts} />
        </div>
      )}
    </>
  );
}

function StoreBanner({ store }: { store: Overview['detectionStore'] }) {
  const isDegraded = store.status !== 'ok';
  return (
    <p class={isDegraded ? 'banner degraded' : 'banner'} role={isDegraded ? 'alert' : 'status'}>
      Detection store: <strong>{isDegraded ? 'DEGRADED' : 'ok'}</strong>
      {store.detail ? ` (${store.detail})` : ''}
      {store.instances ? `, ${store.instances} instance(s)` : ''}
    </p>
  );
}

function AlertState({ alerts }: { alerts: Overview['alerts'] }) {
  return (
    <section>
      <h2>Alerts (24 h)</h2>
      <p>
        Sent {alerts.sent}, failed {alerts.failed}, dropped {alerts.dropped}.
      </p>
      {alerts.latest.length > 0 && (
        <ul>
          {alerts.latest.map((a) => (
            <li key={`${a.at}-${a.channel}-${a.rule}`}>
              {formatTime(a.at)}: {a.rule} ({a.severity}) by {a.channel}, {a.outcome}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
