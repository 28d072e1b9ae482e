import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, onRefusal, type Refusal, type SessionInfo, useCsrfToken } from './api.ts';
import { BlocksPage } from './pages/blocks.tsx';
import { EventsPage } from './pages/events.tsx';
import { IpPage } from './pages/ip.tsx';
import { LoginPage } from './pages/login.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { PolicyPage } from './pages/policy.tsx';
import { type Route, useRoute } from './router.ts';

type State =
  | { kind: 'loading' }
  | { kind: 'signed-in'; session: SessionInfo }
  | { kind: 'signed-out'; reason?: Refusal }
  | { kind: 'error'; message: string };

const PAGES: readonly { page: Route['page']; label: string }[] = [
  { page: 'overview', label: 'Overview' },
  { page: 'blocks', label: 'Blocks' },
  { page: 'events', label: 'Events' },
  { page: 'policy', label: 'Policy' },
];

/** The dashboard: sign-in, or the signed-in pages; refusals replace every page. */
export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const signIn = (session: SessionInfo) => {
    useCsrfToken(session.csrfToken);
    setState({ kind: 'signed-in', session });
  };
  useEffect(() => {
    onRefusal((reason) => setState({ kind: 'signed-out', reason }));
    api<({ signedIn: true } & SessionInfo) | { signedIn: false }>('/api/admin/session').then(
      (state) => (state.signedIn ? signIn(state) : setState({ kind: 'signed-out' })),
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 403)
          setState({ kind: 'signed-out', reason: 'forbidden' });
        else setState({ kind: 'error', message: String(error) });
      },
    );
  }, []);

  if (state.kind === 'loading') return <p class="notice">Loading…</p>;
  if (state.kind === 'error')
    return (
      <main class="refusal">
        <h1>The dashboard cannot reach the service</h1>
        <p>{state.message}</p>
      </main>
    );
  if (state.kind === 'signed-out') return <LoginPage reason={state.reason} onSignedIn={signIn} />;
  const signOut = async () => {
    await api('/api/admin/session', { method: 'DELETE' }).catch(() => {});
    setState({ kind: 'signed-out' });
  };
  return <Shell session={state.session} onSignOut={signOut} />;
}

function Shell(props: { session: SessionInfo; onSignOut: () => void }) {
  const route = useRoute();
  return (
    <>
      <header class="top">
        <span class="brand">flux-auth admin</span>
        <nav aria-label="Dashboard pages">
          {PAGES.map(({ page, label }) => (
            <a
              key={page}
              href={`#/${page}`}
              aria-current={route.page === page ? 'page' : undefined}
            >
              {label}
            </a>
          ))}
        </nav>
        <span class="who">
          {props.session.user.email}{' '}
          <button type="button" onClick={props.onSignOut}>
            Sign out
          </button>
        </span>
      </header>
      <main>
        <CurrentPage route={route} />
      </main>
    </>
  );
}

function CurrentPage({ route }: { route: Route }) {
  switch (route.page) {
    case 'blocks':
      return <BlocksPage />;
    case 'events':
      return <EventsPage />;
    case 'policy':
      return <PolicyPage />;
    case 'ip':
      return <IpPage ip={route.ip} />;
    default:
      return <OverviewPage />;
  }
}
