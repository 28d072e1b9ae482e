import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { JwksPort, ReadinessPort } from '../ports.ts';

/** What the health routes are built from. */
export interface HealthRoutesOptions {
  readonly readiness: ReadinessPort;
  readonly jwks: JwksPort;
}

const DependencyState = Type.Object({
  status: Type.String(),
  detail: Type.Optional(Type.String()),
  instances: Type.Optional(Type.Integer()),
});

/** `/health` (no I/O), `/ready` (dependencies) and `/.well-known/jwks.json`. */
export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, opts) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['ops'],
        operationId: 'health',
        summary: 'Liveness (no I/O)',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['ops'],
        operationId: 'ready',
        summary: 'Readiness: the state of the database and the detection store',
        response: {
          200: Type.Object({
            status: Type.String(),
            dependencies: Type.Record(Type.String(), DependencyState),
          }),
          503: Type.Object({
            status: Type.String(),
            dependencies: Type.Record(Type.String(), DependencyState),
          }),
        },
      },
    },
    async (_request, reply) => {
      const dependencies = await opts.readiness();
      const states = Object.values(dependencies).map((d) => d.status);
      const isDown = states.includes('down');
      const status = isDown ? 'unavailable' : states.includes('degraded') ? 'degraded' : 'ok';
      return reply.code(isDown ? 503 : 200).send({ status, dependencies });
    },
  );

  const jwksSchema = {
    tags: ['auth'],
    operationId: 'getJwks',
    summary: 'Public keys that verify access tokens (EdDSA/ES256; 404 with HS256)',
  };
  app.get('/.well-known/jwks.json', { schema: jwksSchema }, async (_request, reply) => {
    const jwks = opts.jwks();
    if (!jwks) {
      return reply.code(404).send({
        error: 'This service signs with HS256; there are no public keys',
        code: 'NOT_FOUND',
      });
    }
    return reply.header('cache-control', 'public, max-age=300').send(jwks);
  });
};
