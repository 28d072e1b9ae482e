import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import { BacktestTooLargeError, parseSince, runBacktest } from '../../backtest/index.ts';
import type { Database } from '../../db/index.ts';
import { parsePolicy } from '../../detection/index.ts';
import { ValidationError } from '../../errors.ts';
import { type AdminAuthOptions, createAdminAuthHook } from '../admin-auth.ts';
import { ErrorBody } from '../schemas.ts';

/** What the backtest route is built from. */
export interface BacktestRoutesOptions extends AdminAuthOptions {
  readonly db: Kysely<Database>;
  readonly clock: () => number;
}

const BlockSchema = Type.Object({
  clientKey: Type.String(),
  at: Type.Number(),
  until: Type.Number(),
  failures: Type.Number(),
  accounts: Type.Array(Type.String()),
});
const ResultSchema = Type.Object({
  since: Type.Number(),
  until: Type.Number(),
  replayed: Type.Object({
    loginOutcomes: Type.Number(),
    refusedRequests: Type.Number(),
    recordedBlocks: Type.Number(),
  }),
  blocksAdded: Type.Array(BlockSchema),
  blocksRemoved: Type.Array(BlockSchema),
  blocksKept: Type.Number(),
  ipsAffected: Type.Array(Type.String()),
  accountsAffected: Type.Array(Type.String()),
  notReplayed: Type.Array(Type.String()),
});
const BacktestBody = Type.Object({
  policy: Type.Record(Type.String(), Type.Unknown(), {
    description: 'a detection policy (keys left out keep their defaults)',
  }),
  since: Type.String({ minLength: 1, maxLength: 40, description: '7d, 24h, 90m or ISO 8601' }),
});

/**
 * `POST /api/admin/policy/backtest` (register with prefix `/api/admin/policy`): what a policy
 * would have changed over a recorded period. Admin bearer token or dashboard session (+ CSRF token), as the rest of the admin API.
 */
export const backtestRoutes: FastifyPluginAsyncTypebox<BacktestRoutesOptions> = async (
  app,
  opts,
) => {
  app.addHook('onRequest', createAdminAuthHook(opts));

  app.post(
    '/backtest',
    {
      schema: {
        tags: ['admin'],
        operationId: 'backtestPolicy',
        summary: 'Replay recorded logins under another policy: blocks added or removed',
        security: [{ bearerAuth: [] }],
        body: BacktestBody,
        response: { 200: ResultSchema, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request) => {
      const parsed = parsePolicy(request.body.policy);
      if (!parsed.ok) {
        throw new ValidationError(
          'policy',
          `Invalid field "policy": ${parsed.problems.join('; ')}`,
        );
      }
      const now = opts.clock();
      const since = parseSince(request.body.since, now);
      if (since === null) {
        throw new ValidationError(
          'since',
          'Invalid field "since": expected a period like 7d, 24h, 90m or a past ISO 8601 time',
        );
      }
      const result = await runBacktest({
        db: opts.db,
        policy: parsed.policy,
        since,
        until: now,
      }).catch((error: unknown) => {
        if (error instanceof BacktestTooLargeError) {
          throw new ValidationError('since', `Invalid field "since": ${error.message}`);
        }
        throw error;
      });
      return {
        ...result,
        blocksAdded: result.blocksAdded.map((b) => ({ ...b, accounts: [...b.accounts] })),
        blocksRemoved: result.blocksRemoved.map((b) => ({ ...b, accounts: [...b.accounts] })),
        ipsAffected: [...result.ipsAffected],
        accountsAffected: [...result.accountsAffected],
        notReplayed: [...result.notReplayed],
      };
    },
  );
};
