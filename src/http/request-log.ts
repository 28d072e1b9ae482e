import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/** The one field name the request id goes by in logs, security events and the audit log. */
export const REQUEST_ID_LOG_LABEL = 'requestId';

/**
 * Fastify's request log lines with the fields an operator filters on: `incoming request` with
 * method and URL, `request completed` / `request errored` with method, route (the pattern, so
 * `/api/admin/blocks/:ip`, never the IP), status and duration. Every line of a request carries
 * its id under `requestId`.
 */
export class RequestLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: REQUEST_ID_LOG_LABEL });
  }

  override incomingRequest(request: FastifyRequest): void {
    request.log.info({ method: request.method, url: request.url }, 'incoming request');
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const fields = {
      method: request.method,
      route: request.routeOptions.url ?? null,
      status: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log.info(fields, 'request completed');
  }
}
