import cookie from '@fastify/cookie';
import type { Kysely } from 'kysely';
import type { AlertRoutesOptions } from '../alerts/index.ts';
import type { Database } from '../db/index.ts';
import type { DetectionPolicy } from '../detection/index.ts';
import type { App } from './app.ts';
import type { AccountsPort, DependencyState, TokensPort } from './ports.ts';
import { adminDashboardRoutes } from './routes/admin-dashboard-routes.ts';
import {
  adminRoutes,
  type BlocksPort,
  type IpsPort,
  type UsersPort,
} from './routes/admin-routes.ts';
import { type AdminSessionsPort, adminSessionRoutes } from './routes/admin-session-routes.ts';
import { adminUiRoutes } from './routes/admin-ui-routes.ts';
import { backtestRoutes } from './routes/backtest-routes.ts';

/** What the admin API, its dashboard sessions and the dashboard files are built from. */
export interface AdminHttpDependencies {
  readonly db: Kysely<Database>;
  readonly clock: () => number;
  readonly accounts: AccountsPort;
  readonly tokens: TokensPort;
  readonly blocks: BlocksPort;
  readonly ips: IpsPort;
  readonly users: UsersPort;
  readonly sessions: AdminSessionsPort;
  readonly idleMinutes: number;
  /** `PUBLIC_URL`, or null: when https, the dashboard session cookie is always Secure. */
  readonly publicUrl: string | null;
  readonly detectorStatus: () => DependencyState;
  readonly policy: () => { policy: DetectionPolicy; source: string };
  /** `GET /api/admin/alerts` and `POST /api/admin/alerts/test`; absent without alerting. */
  readonly alerts?: AlertRoutesOptions;
}

/**
 * Registers `/api/admin/session` (dashboard sign-in), `/api/admin/*` (bearer token or session
 * cookie + CSRF token) and `/admin` (the dashboard) on `app`.
 */
export async function registerAdminHttp(app: App, deps: AdminHttpDependencies): Promise<void> {
  await app.register(cookie);
  const auth = { tokens: deps.tokens, accounts: deps.accounts, sessions: deps.sessions };
  await app.register(adminSessionRoutes, {
    prefix: '/api/admin/session',
    accounts: deps.accounts,
    sessions: deps.sessions,
    idleMinutes: deps.idleMinutes,
    publicUrl: deps.publicUrl,
  });
  await app.register(adminRoutes, {
    prefix: '/api/admin',
    db: deps.db,
    blocks: deps.blocks,
    ips: deps.ips,
    users: deps.users,
    alerts: deps.alerts,
    ...auth,
  });
  await app.register(adminDashboardRoutes, {
    prefix: '/api/admin',
    db: deps.db,
    clock: deps.clock,
    detectorStatus: deps.detectorStatus,
    policy: deps.policy,
    ...auth,
  });
  await app.register(backtestRoutes, {
    prefix: '/api/admin/policy',
    db: deps.db,
    clock: deps.clock,
    ...auth,
  });
  await app.register(adminUiRoutes);
}
