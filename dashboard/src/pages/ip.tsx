import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, query } from '../api.ts';
import { hasEndpoint } from '../capabilities.ts';
import { BlockForm } from '../components/block-form.tsx';
import { EventTable, type SecurityEvent } from '../components/event-table.tsx';
import { JsonView } from '../components/json-view.tsx';
import { formatTime } from '../format.ts';
import type { Block } from './blocks.tsx';

// Fields of `GET /api/admin/ips/:ip` (IP reputation), shown when that endpoint exists.
const REPUTATION_FIELDS = ['reputation', 'score', 'reasons', 'why', 'geo', 'counters'] as const;

/** One IP: reputation (when available), block state with block/unblock, its event history. */
export function IpPage({ ip }: { ip: string }) {
  const [reputation, setReputation] = useState<Record<string, unknown> | null>(null);
  const [block, setBlock] = useState<Block | null | undefined>(undefined);
  const [events, setEvents] = useState<SecurityEvent[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const load = useCallback(() => {
    hasEndpoint('GET', '/api/admin/ips/{ip}')
      .then((exists) =>
        exists
          ? api<Record<string, unknown> | null>(`/api/admin/ips/${encodeURIComponent(ip)}`, {
              allow: [404],
            })
          : null,
      )
      .then(
        (body) => setReputation(body && typeof body.error !== 'string' ? body : null),
        () => setReputation(null),
      );
    api<{ blocks: Block[] }>('/api/admin/blocks').then(
      (r) => setBlock(r.blocks.find((b) => b.ip === ip) ?? null),
      (e: unknown) => setMessage(String(e)),
    );
    api<{ events: SecurityEvent[] }>(`/api/admin/events${query({ ip, limit: '100' })}`).then(
      (r) => setEvents(r.events),
      (e: unknown) => setMessage(String(e)),
    );
  }, [ip]);
  useEffect(load, [load]);
  const unblock = async () => {
    await api(`/api/admin/blocks/${encodeURIComponent(ip)}`, { method: 'DELETE' }).catch(
      (e: unknown) => setMessage(String(e)),
    );
    load();
  };
  return (
    <>
      <h1>IP {ip}</h1>
      {message && <p role="alert">{message}</p>}
      {reputation && (
        <section>
          <h2>Reputation</h2>
          <JsonView
            value={Object.fromEntries(
              REPUTATION_FIELDS.filter((k) => reputation[k] !== undefined).map((k) => [
                k,
                reputation[k],
              ]),
            )}
          />
        </section>
      )}
      <section>
        <h2>Block</h2>
        {block === null && (
          <>
            <p>Not blocked.</p>
            <BlockForm ip={ip} onDone={load} />
          </>
        )}
        {block && (
          <>
            <p>
              Blocked by <strong>{block.rule}</strong> until {formatTime(block.expiresAt)}.
            </p>
            <JsonView value={block.evidence} />
            <button type="button" onClick={unblock}>
              Unblock {ip}
            </button>
          </>
        )}
      </section>
      <section>
        <h2>History</h2>
        <EventTable events={events} />
      </section>
    </>
  );
}
