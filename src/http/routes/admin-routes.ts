import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import { type AlertRoutesOptions, alertRoutes } from '../../alerts/index.ts';
import { type AuditEvent, InvalidCursorError, listEvents } from '../../audit/index.ts';
import type { Database } from '../../db/index.ts';
import { ValidationError } from '../../errors.ts';
import { type Actor, SEVERITIES } from '../../events/index.ts';
import type { GeoPlace } from '../../geo/index.ts';
import { type AdminSessionPort, createAdminAuthHook } from '../admin-auth.ts';
import type { AccountsPort, TokensPort } from '../ports.ts';
import { ErrorBody } from '../schemas.ts';

/** An active block as the admin API shows it. */
export interface BlockView {
  readonly ip: string;
  readonly rule: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly manual: boolean;
}

/**
 * Manual block management, implemented by the detector's block store. `ip` is checked there
 * (ValidationError naming `ip`), and each action is audited with its actor.
 */
export interface BlocksPort {
  list(): Promise<readonly BlockView[]>;
  block(input: {
    ip: string;
    reason: string;
    durationSeconds: number;
    actor: Actor;
  }): Promise<BlockView>;
  /** True when a block was removed. */
  unblock(ip: string, actor: Actor): Promise<boolean>;
}

/** What is known about one IP (see `createIpsAdapter`). */
export interface IpView {
  readonly ip: string;
  readonly ipKey: string;
  readonly reputation: {
    readonly score: number;
    readonly level: number;
    readonly listed: boolean;
    readonly mode: string;
    readonly reasons: { type: string; points: number; at: string }[];
  };
  readonly counters: { requests: number; failures: number; pending: number };
  readonly block: BlockView | null;
  readonly lastEvents: AuditEvent[];
  /** Where the GeoIP data places the address; null when private, unknown or not configured. */
  readonly geo: GeoPlace | null;
}

/** One IP's reputation, block and latest events. */
export interface IpsPort {
  /** Throws ValidationError naming `ip` for something that is not an IP address. */
  describe(ip: string): Promise<IpView>;
}

/** Account management by an admin. */
export interface UsersPort {
  /** Revokes every session of the account, deletes it and audits it; false when none. */
  delete(userId: string, actor: Actor): Promise<boolean>;
}

/** What the admin routes are built from. */
export interface AdminRoutesOptions {
  readonly db: Kysely<Database>;
  readonly tokens: Pick<TokensPort, 'verifyAccess'>;
  readonly accounts: Pick<AccountsPort, 'getUser'>;
  readonly blocks: BlocksPort;
  readonly users: UsersPort;
  readonly ips: IpsPort;
  /** Dashboard sessions (cookie + CSRF) accepted besides bearer tokens; absent: tokens only. */
  readonly sessions?: AdminSessionPort;
  /** `GET /alerts` and `POST /alerts/test`; absent in apps built without alerting. */
  readonly alerts?: AlertRoutesOptions;
}

const BlockSchema = Type.Object({
  ip: Type.String(),
  rule: Type.String(),
  evidence: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String(),
  expiresAt: Type.String(),
  manual: Type.Boolean(),
});
const EventsQuery = Type.Object({
  type: Type.Optional(Type.String({ pattern: '^[a-z0-9_]{1,64}$' })),
  severity: Type.Optional(Type.Union(SEVERITIES.map((s) => Type.Literal(s)))),
  ip: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f:./]{1,64}$' })),
  since: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 time' })),
  until: Type.Optional(
    Type.String({ maxLength: 40, description: 'ISO 8601 time (events before it)' }),
  ),
  userId: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9-]{1,36}$', description: 'Account (user id)' }),
  ),
  cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,200}$' })),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
});
const BlockBody = Type.Object({
  ip: Type.String({ minLength: 2, maxLength: 64 }),
  reason: Type.String({ minLength: 1, maxLength: 200 }),
  durationSeconds: Type.Integer({ minimum: 1, maximum: 31_536_000 }),
});
const EventSchema = Type.Object({
  id: Type.String(),
  at: Type.String(),
  type: Type.String(),
  severity: Type.String(),
  ip: Type.Union([Type.String(), Type.Null()]),
  userId: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  rule: Type.Union([Type.String(), Type.Null()]),
  requestId: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
});
const IpViewSchema = Type.Object({
  ip: Type.String(),
  ipKey: Type.String(),
  reputation: Type.Object({
    score: Type.Number(),
    level: Type.Integer(),
    listed: Type.Boolean(),
    mode: Type.String(),
    reasons: Type.Array(
      Type.Object({ type: Type.String(), points: Type.Number(), at: Type.String() }),
    ),
  }),
  counters: Type.Object({
    requests: Type.Integer({ description: 'credential requests in the bot_activity window' }),
    failures: Type.Integer({ description: 'failed logins in the brute_force window' }),
    pending: Type.Integer({ description: 'logins awaiting their outcome' }),
  }),
  block: Type.Union([BlockSchema, Type.Null()]),
  lastEvents: Type.Array(EventSchema),
  geo: Type.Union([
    Type.Object({
      country: Type.String(),
      latitude: Type.Optional(Type.Number()),
      longitude: Type.Optional(Type.Number()),
      accuracyRadiusKm: Type.Optional(Type.Number()),
    }),
    Type.Null({ description: 'Private, loopback or unknown address, or no GeoIP data' }),
  ]),
});
const EventPageSchema = Type.Object({
  events: Type.Array(EventSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

/** `/api/admin/*`: audit events and IP blocks, for tokens with the admin role only. */
export const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (app, opts) => {
  app.decorateRequest('adminId', '');
  app.addHook('onRequest', createAdminAuthHook(opts));
  // Registered here so the admin check above guards them too.
  if (opts.alerts !== undefined) await app.register(alertRoutes, opts.alerts);

  app.get(
    '/events',
    {
      schema: {
        tags: ['admin'],
        operationId: 'listSecurityEvents',
        summary: 'Audit log of security events, newest first',
        security: [{ bearerAuth: [] }],
        querystring: EventsQuery,
        response: { 200: EventPageSchema, ...errors },
      },
    },
    async (request) => {
      const { since, until, limit, ...rest } = request.query;
      try {
        const page = await listEvents(opts.db, {
          ...rest,
          since: since === undefined ? undefined : parseTime('since', since),
          until: until === undefined ? undefined : parseTime('until', until),
          limit: limit === undefined ? undefined : Number(limit),
        });
        return { events: [...page.events], nextCursor: page.nextCursor };
      } catch (error) {
        if (error instanceof InvalidCursorError)
          throw new ValidationError('cursor', 'Invalid field "cursor": not a cursor from this API');
        throw error;
      }
    },
  );

  app.get(
    '/blocks',
    {
      schema: {
        tags: ['admin'],
        operationId: 'listBlocks',
        summary: 'Active IP blocks with rule, evidence and expiry',
        security: [{ bearerAuth: [] }],
        response: { 200: Type.Object({ blocks: Type.Array(BlockSchema) }), ...errors },
      },
    },
    async () => ({ blocks: [...(await opts.blocks.list())] }),
  );

  app.get(
    '/ips/:ip',
    {
      schema: {
        tags: ['admin'],
        operationId: 'describeIp',
        summary: "An IP's reputation score and why, its active block, its latest events",
        security: [{ bearerAuth: [] }],
        params: Type.Object({ ip: Type.String({ maxLength: 64 }) }),
        response: { 200: IpViewSchema, ...errors },
      },
    },
    async (request) => opts.ips.describe(request.params.ip),
  );

  app.post(
    '/blocks',
    {
      schema: {
        tags: ['admin'],
        operationId: 'createBlock',
        summary: 'Block an IP by hand (IPv6 per /64); audited',
        security: [{ bearerAuth: [] }],
        body: BlockBody,
        response: { 201: BlockSchema, ...errors },
      },
    },
    async (request, reply) => {
      const actor = { kind: 'admin', userId: request.adminId } as const;
      const block = await opts.blocks.block({ ...request.body, actor });
      return reply.code(201).send(block);
    },
  );

  app.delete(
    '/blocks/:ip',
    {
      schema: {
        tags: ['admin'],
        operationId: 'deleteBlock',
        summary: "Lift a block and clear the IP's failure counter; audited",
        security: [{ bearerAuth: [] }],
        params: Type.Object({ ip: Type.String({ maxLength: 64 }) }),
        response: { 204: Type.Null({ description: 'Block removed' }), 404: ErrorBody, ...errors },
      },
    },
    async (request, reply) => {
      const actor = { kind: 'admin', userId: request.adminId } as const;
      const removed = await opts.blocks.unblock(request.params.ip, actor);
      if (!removed)
        return reply.code(404).send({ error: 'No active block for this IP', code: 'NOT_FOUND' });
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/users/:id',
    {
      schema: {
        tags: ['admin'],
        operationId: 'deleteUser',
        summary: 'Revoke every session of an account, then delete it; audited',
        security: [{ bearerAuth: [] }],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 36 }) }),
        response: {
          204: Type.Null({ description: 'Account deleted, its sessions revoked' }),
          404: ErrorBody,
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const actor = { kind: 'admin', userId: request.adminId } as const;
      if (!(await opts.users.delete(request.params.id, actor)))
        return reply.code(404).send({ error: 'No account with this id', code: 'NOT_FOUND' });
      return reply.code(204).send(null);
    },
  );
};

function parseTime(field: string, text: string): number {
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw new ValidationError(field, `Invalid field "${field}": expected an ISO 8601 time`);
  return at;
}
