import { formatTime, formatValue } from '../format.ts';
import { ipHref } from '../router.ts';

/** A security event as `GET /api/admin/events` answers. */
export interface SecurityEvent {
  id: string;
  at: string;
  type: string;
  severity: string;
  ip: string | null;
  userId: string | null;
  rule: string | null;
  details: Record<string, unknown>;
}

/** Events newest first; IPs link to their detail page. */
export function EventTable({ events }: { events: readonly SecurityEvent[] }) {
  return (
    <div class="scroll">
      <table class="events">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Type</th>
            <th scope="col">Severity</th>
            <th scope="col">IP</th>
            <th scope="col">Account</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id} data-type={e.type}>
              <td>{formatTime(e.at)}</td>
              <td>{e.type}</td>
              <td class={`sev sev-${e.severity}`}>{e.severity}</td>
              <td>{e.ip ? <a href={ipHref(e.ip)}>{e.ip}</a> : ''}</td>
              <td>{e.userId ?? ''}</td>
              <td class="details">
                {Object.entries(e.details)
                  .map(([k, v]) => `${k}: ${formatValue(v)}`)
                  .join(', ')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
