// Socket-level failures: the server is not there, or the path to it broke.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// PostgreSQL SQLSTATEs that mean "this server cannot serve you right now", not "your query is
// wrong": class 08 (connection exception) plus shutdown, startup and connection limits.
const POSTGRES_UNAVAILABLE_STATES = new Set([
  '57P01', // admin_shutdown (fast or immediate stop, failover)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, recovery)
  '53300', // too_many_connections
]);

// node-postgres reports a dropped connection and its own timeouts as plain Errors without a code.
const DRIVER_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /connection timeout/i,
  /query read timeout/i,
];

/**
 * True when `error` (or anything in its `cause` chain, or an AggregateError's parts) says the
 * database could not be reached or dropped the connection, as opposed to a query that failed.
 */
export function isConnectionError(error: unknown): boolean {
  return isConnectionErrorAt(error, 0);
}

function isConnectionErrorAt(error: unknown, depth: number): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || POSTGRES_UNAVAILABLE_STATES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && DRIVER_MESSAGES.some((pattern) => pattern.test(message))) {
    return true;
  }
  const parts = (error as { errors?: unknown }).errors;
  if (Array.isArray(parts) && parts.some((part) => isConnectionErrorAt(part, depth + 1))) {
    return true;
  }
  return isConnectionErrorAt((error as { cause?: unknown }).cause, depth + 1);
}
