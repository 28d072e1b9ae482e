import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { EVENT_TYPES } from '../../../src/events/event-types.ts';
import { SEVERITIES } from '../../../src/events/severity.ts';
import { api, query } from '../api.ts';
import { EventTable, type SecurityEvent } from '../components/event-table.tsx';

interface Page {
  events: SecurityEvent[];
  nextCursor: string | null;
}
interface Filters {
  type: string;
  severity: string;
  ip: string;
  userId: string;
  since: string;
  until: string;
}

const EMPTY: Filters = { type: '', severity: '', ip: '', userId: '', since: '', until: '' };
const LIVE_INTERVAL_MS = 5000;

function toIso(local: string): string | undefined {
  return local ? new Date(local).toISOString() : undefined;
}

function pathOf(filters: Filters, cursor?: string): string {
  return `/api/admin/events${query({
    type: filters.type,
    severity: filters.severity,
    ip: filters.ip.trim(),
    userId: filters.userId.trim(),
    since: toIso(filters.since),
    until: toIso(filters.until),
    cursor,
    limit: '50',
  })}`;
}

/** The security event feed: filters, "older" pages by cursor, new events every few seconds. */
export function EventsPage() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [events, setEvents] = useState<SecurityEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [isLive, setLive] = useState(true);
  const [problem, setProblem] = useState<string | null>(null);
  const seen = useRef(new Set<string>());

  useEffect(() => {
    seen.current = new Set();
    api<Page>(pathOf(filters)).then(
      (page) => {
        for (const e of page.events) seen.current.add(e.id);
        setEvents(page.events);
        setCursor(page.nextCursor);
        setProblem(null);
      },
      (error: unknown) => setProblem(error instanceof Error ? error.message : String(error)),
    );
  }, [filters]);

  // Live refresh: the newest page again, prepending what was not shown yet.
  const poll = useCallback(async () => {
    const page = await api<Page>(pathOf(filters), { background: true });
    const fresh = page.events.filter((e) => !seen.current.has(e.id));
    for (const e of fresh) seen.current.add(e.id);
    if (fresh.length > 0) setEvents((old) => [...fresh, ...old]);
  }, [filters]);
  useEffect(() => {
    if (!isLive) return;
    const timer = setInterval(() => void poll().catch(() => {}), LIVE_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [isLive, poll]);

  const older = async () => {
    if (!cursor) return;
    const page = await api<Page>(pathOf(filters, cursor));
    for (const e of page.events) seen.current.add(e.id);
    setEvents((old) => [...old, ...page.events]);
    setCursor(page.nextCursor);
  };
  const field = (name: keyof Filters) => ({
    name,
    value: draft[name],
    onInput: (e: { currentTarget: { value: string } }) =>
      setDraft({ ...draft, [name]: e.currentTarget.value }),
  });
  return (
    <>
      <h1>Events</h1>
      <form
        class="filters"
        aria-label="Event filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ ...draft });
        }}
      >
        <label>
          Type
          <select {...field('type')}>
            <option value="">any</option>
            {Object.keys(EVENT_TYPES).map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Severity
          <select {...field('severity')}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          IP
          <input {...field('ip')} />
        </label>
        <label>
          Account (user id)
          <input {...field('userId')} />
        </label>
        <label>
          From
          <input type="datetime-local" {...field('since')} />
        </label>
        <label>
          Until
          <input type="datetime-local" {...field('until')} />
        </label>
        <button type="submit">Apply</button>
        <label class="check">
          <input
            type="checkbox"
            checked={isLive}
            onChange={(e) => setLive(e.currentTarget.checked)}
          />
          Live
        </label>
      </form>
      {problem && <p role="alert">{problem}</p>}
      <p class="hint" role="status">
        {events.length} event(s) shown{isLive ? ', refreshing every 5 s' : ''}.
      </p>
      <EventTable events={events} />
      {cursor && (
        <button type="button" onClick={older}>
          Older events
        </button>
      )}
    </>
  );
}
