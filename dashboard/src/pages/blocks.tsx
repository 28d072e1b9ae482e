import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { BlockForm } from '../components/block-form.tsx';
import { formatRemaining, formatTime, formatValue } from '../format.ts';
import { ipHref } from '../router.ts';

/** An active block as `GET /api/admin/blocks` answers. */
export interface Block {
  ip: string;
  rule: string;
  evidence: Record<string, unknown>;
  createdAt: string;
  expiresAt: string;
  manual: boolean;
}

/** Country and reputation when the evidence carries them (geo and reputation features). */
function knownOf(evidence: Record<string, unknown>, keys: readonly string[]): string {
  for (const key of keys) if (evidence[key] !== undefined) return formatValue(evidence[key]);
  return 'unknown';
}

/** Active blocks with unblock, and the manual block form. */
export function BlocksPage() {
  const [blocks, setBlocks] = useState<Block[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const load = useCallback(() => {
    api<{ blocks: Block[] }>('/api/admin/blocks').then(
      (r) => setBlocks(r.blocks),
      (e: unknown) => setMessage(String(e)),
    );
  }, []);
  useEffect(load, [load]);
  const unblock = async (ip: string) => {
    try {
      await api(`/api/admin/blocks/${encodeURIComponent(ip)}`, { method: 'DELETE' });
      setMessage(`Unblocked ${ip}.`);
    } catch (error) {
      setMessage(error instanceof Error ? error.message : String(error));
    }
    load();
  };
  const now = Date.now();
  return (
    <>
      <h1>Blocks</h1>
      {message && <p role="status">{message}</p>}
      <section>
        <h2>Block an IP</h2>
        <BlockForm
          onDone={() => {
            setMessage('Block set.');
            load();
          }}
        />
      </section>
      <section>
        <h2>Active blocks</h2>
        {blocks && blocks.length === 0 && <p>No active block.</p>}
        {blocks && blocks.length > 0 && (
          <div class="scroll">
            <table class="blocks">
              <thead>
                <tr>
                  <th scope="col">IP</th>
                  <th scope="col">Rule</th>
                  <th scope="col">Evidence</th>
                  <th scope="col">Country</th>
                  <th scope="col">Reputation</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {blocks.map((b) => (
                  <tr key={b.ip} data-ip={b.ip}>
                    <td>
                      <a href={ipHref(b.ip)}>{b.ip}</a>
                    </td>
                    <td>{b.manual && b.rule !== 'manual' ? `${b.rule} (manual)` : b.rule}</td>
                    <td class="evidence">
                      {Object.entries(b.evidence).map(([k, v]) => (
                        <span key={k}>
                          {k}: {formatValue(v)}{' '}
                        </span>
                      ))}
                    </td>
                    <td>{knownOf(b.evidence, ['country', 'countryCode'])}</td>
                    <td>{knownOf(b.evidence, ['reputation', 'score'])}</td>
                    <td title={formatTime(b.expiresAt)}>in {formatRemaining(b.expiresAt, now)}</td>
                    <td>
                      <button type="button" onClick={() => unblock(b.ip)}>
                        Unblock {b.ip}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
