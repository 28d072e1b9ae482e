import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { hasEndpoint } from '../capabilities.ts';
import { JsonView } from '../components/json-view.tsx';

interface Validation {
  valid: boolean;
  problems: string[];
  policy?: unknown;
}
type Backtest =
  | { kind: 'none' }
  | { kind: 'unavailable' }
  | { kind: 'failed'; message: string }
  | { kind: 'done'; result: unknown };

const DAY_MS = 86_400_000;

/** The policy in force; paste one, validate it, and see the backtest's dry-run diff. */
export function PolicyPage() {
  const [current, setCurrent] = useState<{ source: string; policy: unknown } | null>(null);
  const [text, setText] = useState('');
  const [validation, setValidation] = useState<Validation | null>(null);
  const [backtest, setBacktest] = useState<Backtest>({ kind: 'none' });
  useEffect(() => {
    api<{ source: string; policy: unknown }>('/api/admin/policy').then(setCurrent, () => {});
  }, []);
  const validate = async () => {
    setBacktest({ kind: 'none' });
    setValidation(
      await api<Validation>('/api/admin/policy/validate', { method: 'POST', body: { text } }),
    );
  };
  const runBacktest = async () => {
    if (!(await hasEndpoint('POST', '/api/admin/policy/backtest'))) {
      setBacktest({ kind: 'unavailable' });
      return;
    }
    try {
      const result = await api<unknown>('/api/admin/policy/backtest', {
        method: 'POST',
        body: { policy: JSON.parse(text), since: new Date(Date.now() - DAY_MS).toISOString() },
      });
      setBacktest({ kind: 'done', result });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) setBacktest({ kind: 'unavailable' });
      else
        setBacktest({
          kind: 'failed',
          message: error instanceof Error ? error.message : String(error),
        });
    }
  };
  return (
    <>
      <h1>Policy</h1>
      <section>
        <h2>In force</h2>
        {current && (
          <>
            <p>Source: {current.source}</p>
            <pre class="policy">{JSON.stringify(current.policy, null, 2)}</pre>
          </>
        )}
      </section>
      <section>
        <h2>Try a new policy</h2>
        <p class="hint">Nothing changes here: validation and the backtest are dry runs.</p>
        <label class="block">
          Policy (JSON)
          <textarea
            name="policy"
            rows={10}
            value={text}
            onInput={(e) => {
              setText(e.currentTarget.value);
              setValidation(null);
            }}
          />
        </label>
        <button type="button" onClick={validate} disabled={!text.trim()}>
          Validate
        </button>{' '}
        <button type="button" onClick={runBacktest} disabled={!validation?.valid}>
          Backtest over the last day
        </button>
        {validation && !validation.valid && (
          <div role="alert">
            <p>The policy is not valid:</p>
            <ul>
              {validation.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </div>
        )}
        {validation?.valid && <p role="status">The policy is valid.</p>}
        {backtest.kind === 'unavailable' && (
          <p role="status">Backtest not available: this instance has no backtest endpoint.</p>
        )}
        {backtest.kind === 'failed' && <p role="alert">Backtest failed: {backtest.message}</p>}
        {backtest.kind === 'done' && (
          <section>
            <h3>What the new policy would have done</h3>
            <JsonView value={backtest.result} />
          </section>
        )}
      </section>
    </>
  );
}
