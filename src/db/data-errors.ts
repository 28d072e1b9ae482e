// SQLite result codes for rows the table will never accept, whatever the retry.
const SQLITE_DATA_CODES = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;

/**
 * True when a write failed on its data (a constraint, a value out of range, a type mismatch):
 * retrying the same rows cannot succeed. PostgreSQL SQLSTATE classes 22 and 23; SQLite's
 * constraint, mismatch, too-big and range codes. Anything else (the database away, a lock)
 * may pass later.
 */
export function isDataError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return /^2[23][0-9A-Z]{3}$/.test(code) || SQLITE_DATA_CODES.test(code);
}
