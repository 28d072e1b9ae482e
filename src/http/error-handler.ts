import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../errors.ts';

interface ErrorAnswer {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Installs the mapping of every error to `{error, code}`; 5xx get a generic message. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const answer = toAnswer(error);
    if (answer.status >= 500 && !(error instanceof AppError)) {
      // The real reason goes to the log (and error tracker), never to the client.
      request.log.error({ err: error }, 'request failed');
    }
    void reply
      .code(answer.status)
      .headers(answer.headers)
      .send({ error: answer.message, code: answer.code });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send({ error: `No route ${request.method} ${request.url}`, code: 'NOT_FOUND' });
  });
}

function toAnswer(error: FastifyError): ErrorAnswer {
  if (error instanceof AppError) {
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      headers: error.headers,
    };
  }
  if (error.validation) return validationAnswer(error);
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return plain(413, 'BODY_TOO_LARGE', 'Request body is larger than 16 KiB');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return plain(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return plain(400, 'INVALID_JSON', 'Request body length does not match Content-Length');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return plain(400, 'INVALID_JSON', 'Request body is empty; send a JSON object');
  }
  if (error.statusCode === 400 || error instanceof SyntaxError) {
    return plain(400, 'INVALID_JSON', `Request body is not valid JSON: ${safeParseMessage(error)}`);
  }
  if (error.statusCode === 413) return plain(413, 'BODY_TOO_LARGE', 'Request body is too large');
  if (error.statusCode === 415) {
    return plain(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  }
  return plain(500, 'INTERNAL_ERROR', 'Internal server error');
}

function validationAnswer(error: FastifyError): ErrorAnswer {
  const first = error.validation?.[0];
  const params = (first?.params ?? {}) as Record<string, unknown>;
  const path = (first?.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  const missing = typeof params.missingProperty === 'string' ? params.missingProperty : null;
  const extra = typeof params.additionalProperty === 'string' ? params.additionalProperty : null;
  const field = missing ?? extra ?? (path || error.validationContext || 'body');
  const reason = missing ? 'is required' : (first?.message ?? 'is invalid');
  return plain(400, 'VALIDATION_FAILED', `Invalid field "${field}": ${reason}`);
}

// V8's parse messages quote the input, which may hold a password: answer in fixed words.
function safeParseMessage(error: Error): string {
  if (/prototype/i.test(error.message)) return 'forbidden key (__proto__ or constructor.prototype)';
  return 'malformed JSON';
}

function plain(status: number, code: ErrorCode, message: string): ErrorAnswer {
  return { status, code, message, headers: {} };
}
