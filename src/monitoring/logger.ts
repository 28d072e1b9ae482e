import { type Logger, pino } from 'pino';
import type { LogLevel } from '../config/index.ts';
import { LOG_REDACT_PATHS, REDACTED, scrubString } from './scrubber.ts';

/** Paths pino censors wherever they appear in a log line (from the shared scrubber). */
export const REDACTED_PATHS = LOG_REDACT_PATHS;

/**
 * JSON logger for the service. Secrets are censored by path before a line is serialised, and
 * every line then passes the same scrubber as error reports (query strings, `key=value`
 * secrets, tokens, e-mails masked) before it is written.
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'flux-auth' },
      redact: { paths: [...LOG_REDACT_PATHS], censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: scrubString },
    },
    destination,
  );
}
