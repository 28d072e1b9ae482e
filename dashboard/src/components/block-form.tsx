import { useState } from 'preact/hooks';
import { api } from '../api.ts';

/** Manual block: IP, reason, duration in minutes; calls `onDone` after the block is set. */
export function BlockForm(props: { ip?: string; onDone: () => void }) {
  const [ip, setIp] = useState(props.ip ?? '');
  const [reason, setReason] = useState('');
  const [minutes, setMinutes] = useState('60');
  const [problem, setProblem] = useState<string | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    try {
      await api('/api/admin/blocks', {
        method: 'POST',
        body: { ip, reason, durationSeconds: Math.round(Number(minutes) * 60) },
      });
      setReason('');
      props.onDone();
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
  };
  return (
    <form class="inline-form" onSubmit={submit} aria-label="Block an IP">
      {props.ip === undefined && (
        <label>
          IP
          <input name="ip" required value={ip} onInput={(e) => setIp(e.currentTarget.value)} />
        </label>
      )}
      <label>
        Reason
        <input
          name="reason"
          required
          maxLength={200}
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </label>
      <label>
        Minutes
        <input
          name="minutes"
          type="number"
          min="1"
          max="525600"
          required
          value={minutes}
          onInput={(e) => setMinutes(e.currentTarget.value)}
        />
      </label>
      <button type="submit">Block</button>
      {problem && <p role="alert">{problem}</p>}
    </form>
  );
}
