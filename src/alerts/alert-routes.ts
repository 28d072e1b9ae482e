import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { AlertsNotConfiguredError, ValidationError } from '../errors.ts';
import { ErrorBody } from '../http/schemas.ts';
import { InvalidAlertCursorError, listAlerts } from './alert-store.ts';
import type { Alerter } from './alerter.ts';

/** What the alert routes read: the table, and the alerter when a channel is configured. */
export interface AlertRoutesOptions {
  readonly db: Kysely<Database>;
  readonly alerter: Alerter | null;
  readonly channels: readonly string[];
  readonly windowSeconds: number;
}

const AlertSchema = Type.Object({
  id: Type.String(),
  at: Type.String(),
  channel: Type.String(),
  kind: Type.String(),
  rule: Type.String(),
  severity: Type.String(),
  eventCount: Type.Integer(),
  outcome: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
});
const RuleStateSchema = Type.Object({
  rule: Type.String(),
  isOpen: Type.Boolean({ description: 'A window is open: further events go into its digest' }),
  windowEnd: Type.String({ description: 'When the digest is due (ISO 8601)' }),
  eventCount: Type.Integer({ description: 'Events held for the digest so far' }),
  distinctIps: Type.Integer(),
});
const AlertPageSchema = Type.Object({
  alerts: Type.Array(AlertSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
  state: Type.Object({
    channels: Type.Array(Type.String()),
    windowSeconds: Type.Integer(),
    rules: Type.Array(RuleStateSchema),
  }),
});
const TestResultSchema = Type.Object({
  results: Type.Array(
    Type.Object({
      channel: Type.String(),
      outcome: Type.String(),
      attempts: Type.Integer(),
      errorClass: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});
const AlertsQuery = Type.Object({
  cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,200}$' })),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
});
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

/** `/alerts` under the admin prefix (registered inside the admin routes, behind their auth). */
export const alertRoutes: FastifyPluginAsyncTypebox<AlertRoutesOptions> = async (app, opts) => {
  app.get(
    '/alerts',
    {
      schema: {
        tags: ['admin'],
        operationId: 'listAlerts',
        summary: 'Alerts sent (one row per message and channel), newest first, and open windows',
        security: [{ bearerAuth: [] }],
        querystring: AlertsQuery,
        response: { 200: AlertPageSchema, ...errors },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      try {
        const [page, rules] = await Promise.all([
          listAlerts(opts.db, { cursor, limit: limit === undefined ? undefined : Number(limit) }),
          opts.alerter?.state() ?? [],
        ]);
        return {
          alerts: [...page.alerts],
          nextCursor: page.nextCursor,
          state: {
            channels: [...opts.channels],
            windowSeconds: opts.windowSeconds,
            rules: rules.map((rule) => ({
              ...rule,
              windowEnd: new Date(rule.windowEnd).toISOString(),
            })),
          },
        };
      } catch (error) {
        if (error instanceof InvalidAlertCursorError)
          throw new ValidationError('cursor', 'Invalid field "cursor": not a cursor from this API');
        throw error;
      }
    },
  );

  app.post(
    '/alerts/test',
    {
      schema: {
        tags: ['admin'],
        operationId: 'sendTestAlert',
        summary: "Send a test message to every alert channel; answers each channel's outcome",
        security: [{ bearerAuth: [] }],
        response: { 200: TestResultSchema, 409: ErrorBody, ...errors },
      },
    },
    async () => {
      if (opts.alerter === null) throw new AlertsNotConfiguredError();
      return { results: await opts.alerter.sendTest() };
    },
  );
};
