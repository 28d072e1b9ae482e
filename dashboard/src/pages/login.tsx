import { useState } from 'preact/hooks';
import { ApiError, api, type Refusal, type SessionInfo } from '../api.ts';

const REASONS: Record<Refusal, string> = {
  'signed-out': 'Your session has ended (idle too long, or signed out). Sign in again.',
  forbidden: 'Access refused: this account is not an admin. No data is shown.',
};

/** Sign-in form; a refusal (expired session, not an admin) is said above it, with no data. */
export function LoginPage(props: { reason?: Refusal; onSignedIn: (s: SessionInfo) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<string | null>(
    props.reason ? REASONS[props.reason] : null,
  );
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const session = await api<SessionInfo>('/api/admin/session', {
        method: 'POST',
        body: { email, password },
      });
      props.onSignedIn(session);
    } catch (error) {
      setProblem(
        error instanceof ApiError && error.status === 403
          ? REASONS.forbidden
          : error instanceof Error
            ? error.message
            : String(error),
      );
    } finally {
      setPassword('');
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <h1>flux-auth admin</h1>
      {problem && (
        <p class="refused" role="alert">
          {problem}
        </p>
      )}
      <form onSubmit={submit}>
        <label>
          E-mail
          <input
            name="email"
            type="email"
            autocomplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
