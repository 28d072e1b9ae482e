/**
 * The one table of error codes this service answers with. Each code is used by exactly
 * one error class or route; a test keeps this table, the classes and the README in step.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  INVALID_CREDENTIALS: 401,
  UNAUTHENTICATED: 401,
  INVALID_REFRESH_TOKEN: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  ALERTS_NOT_CONFIGURED: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WEAK_PASSWORD: 400,
  RATE_LIMITED: 429,
  IP_BLOCKED: 429,
  ACCOUNT_THROTTLED: 429,
  SERVICE_BUSY: 503,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Base of every error the HTTP layer maps to `{error, code}`; `status` follows `code`. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra response headers, e.g. `Retry-After`. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = ERROR_CODES[code];
    this.headers = options.headers ?? {};
  }
}

/** A request field broke the schema or a domain rule; `field` names it. */
export class ValidationError extends AppError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('VALIDATION_FAILED', message);
    this.field = field;
  }
}

/** Unknown email or wrong password: one message for both, by design. */
export class InvalidCredentialsError extends AppError {
  constructor() {
    super('INVALID_CREDENTIALS', 'Invalid email or password');
  }
}

/** Missing, malformed, expired or otherwise unacceptable access token. */
export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required') {
    super('UNAUTHENTICATED', message);
  }
}

/** Refresh token unknown, expired, rotated or revoked. */
export class InvalidRefreshTokenError extends AppError {
  constructor() {
    super('INVALID_REFRESH_TOKEN', 'Invalid or expired refresh token');
  }
}

/** Authenticated but lacking the role. */
export class ForbiddenError extends AppError {
  constructor(message = 'Admin role required') {
    super('FORBIDDEN', message);
  }
}

/** Signup with an email that already has an account. */
export class EmailTakenError extends AppError {
  constructor() {
    super('EMAIL_TAKEN', 'An account with this email already exists');
  }
}

/** Password refused by policy; the message gives the reason. */
export class WeakPasswordError extends AppError {
  constructor(message: string) {
    super('WEAK_PASSWORD', message);
  }
}

/** Too much work queued (password hashing); try again after `retryAfterSeconds`. */
export class ServiceBusyError extends AppError {
  constructor(retryAfterSeconds: number) {
    super('SERVICE_BUSY', 'The service is busy. Please retry shortly.', {
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}

/**
 * A dependency the request needs (the database) is unreachable; answered 503 with
 * `Retry-After` so clients back off. `cause` holds the driver error for the log.
 */
export class ServiceUnavailableError extends AppError {
  constructor(retryAfterSeconds: number, options: { cause?: unknown } = {}) {
    super('SERVICE_UNAVAILABLE', 'The service is temporarily unavailable. Please retry shortly.', {
      cause: options.cause,
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}

/** A test alert was asked for while no channel (SMTP_URL, ALERT_WEBHOOK_URL) is configured. */
export class AlertsNotConfiguredError extends AppError {
  constructor() {
    super(
      'ALERTS_NOT_CONFIGURED',
      'No alert channel is configured: set SMTP_URL (with ALERT_EMAIL_FROM and ALERT_EMAIL_TO) or ALERT_WEBHOOK_URL (with ALERT_WEBHOOK_SECRET)',
    );
  }
}
