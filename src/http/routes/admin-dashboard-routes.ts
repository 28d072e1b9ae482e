import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.ts';
import { type DetectionPolicy, parsePolicyText } from '../../detection/index.ts';
import { ValidationError } from '../../errors.ts';
import { checkStatsWindow, queryOverview, queryStats } from '../../stats/index.ts';
import { type AdminAuthOptions, createAdminAuthHook } from '../admin-auth.ts';
import type { DependencyState } from '../ports.ts';
import { ErrorBody } from '../schemas.ts';

/** What the dashboard's data routes are built from. */
export interface AdminDashboardRoutesOptions extends AdminAuthOptions {
  readonly db: Kysely<Database>;
  readonly clock: () => number;
  /** The detection store's state (mode, degraded or not), as `/ready` reports it. */
  readonly detectorStatus: () => DependencyState;
  /** The detection policy in force, and where it came from (a file path or "defaults"). */
  readonly policy: () => { policy: DetectionPolicy; source: string };
}

const DAY_MS = 86_400_000;
const StatsQuery = Type.Object({
  from: Type.String({ maxLength: 40, description: 'ISO 8601 time, inclusive' }),
  to: Type.String({ maxLength: 40, description: 'ISO 8601 time, exclusive' }),
  bucket: Type.String({ maxLength: 10, description: 'minute, hour or day' }),
});
const Bucket = Type.Object({
  start: Type.String(),
  failedLogins: Type.Integer(),
  blocks: Type.Integer(),
  throttles: Type.Integer(),
  alerts: Type.Integer(),
});
const Overview = Type.Object({
  detectionStore: Type.Object({
    status: Type.String(),
    detail: Type.Optional(Type.String()),
    instances: Type.Optional(Type.Integer()),
  }),
  topIps: Type.Array(Type.Object({ ip: Type.String(), events: Type.Integer() })),
  topAccounts: Type.Array(Type.Object({ accountKey: Type.String(), failedLogins: Type.Integer() })),
  alerts: Type.Object({
    sent: Type.Integer(),
    failed: Type.Integer(),
    dropped: Type.Integer(),
    latest: Type.Array(
      Type.Object({
        at: Type.String(),
        rule: Type.String(),
        severity: Type.String(),
        channel: Type.String(),
        outcome: Type.String(),
      }),
    ),
  }),
});
const PolicyValidation = Type.Object({
  valid: Type.Boolean(),
  problems: Type.Array(Type.String()),
  policy: Type.Optional(Type.Unknown()),
});
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

/** `/api/admin/stats`, `/overview`, `/policy`, `/policy/validate`: what the dashboard draws. */
export const adminDashboardRoutes: FastifyPluginAsyncTypebox<AdminDashboardRoutesOptions> = async (
  app,
  opts,
) => {
  app.addHook('onRequest', createAdminAuthHook(opts));

  app.get(
    '/stats',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getStats',
        summary: 'Failed logins, blocks, throttles and alerts per time bucket',
        security: [{ bearerAuth: [] }],
        querystring: StatsQuery,
        response: { 200: Type.Object({ buckets: Type.Array(Bucket) }), ...errors },
      },
    },
    async (request) => {
      const checked = checkStatsWindow(request.query);
      if (!checked.ok) throw new ValidationError(checked.field, checked.problem);
      return { buckets: await queryStats(opts.db, checked.window) };
    },
  );

  app.get(
    '/overview',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getOverview',
        summary: 'Detection store state, top IPs and accounts, alert state (last 24 h)',
        security: [{ bearerAuth: [] }],
        response: { 200: Overview, ...errors },
      },
    },
    async () => ({
      detectionStore: opts.detectorStatus(),
      ...(await queryOverview(opts.db, opts.clock() - DAY_MS)),
    }),
  );

  app.get(
    '/policy',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getPolicy',
        summary: 'The detection policy in force',
        security: [{ bearerAuth: [] }],
        response: {
          200: Type.Object({ source: Type.String(), policy: Type.Unknown() }),
          ...errors,
        },
      },
    },
    async () => opts.policy(),
  );

  app.post(
    '/policy/validate',
    {
      schema: {
        tags: ['admin'],
        operationId: 'validatePolicy',
        summary: 'Checks a policy (JSON text) as the policy file loader would; changes nothing',
        security: [{ bearerAuth: [] }],
        body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 15_000 }) }),
        response: { 200: PolicyValidation, ...errors },
      },
    },
    async (request) => {
      const result = parsePolicyText(request.body.text);
      return result.ok
        ? { valid: true, problems: [], policy: result.policy }
        : { valid: false, problems: [...result.problems] };
    },
  );
};
