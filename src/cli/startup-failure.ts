import type { Config } from '../config/index.ts';
import { EXIT_CONFIG, EXIT_UNAVAILABLE } from '../config/index.ts';
import { AppError } from '../errors.ts';
import { redactUrl } from './doctor.ts';

/** What to print when the service cannot start, and the exit code a process manager acts on. */
export interface StartupFailure {
  /** One line: the variable, what failed, the likely fix, a pointer to `flux-auth doctor`. */
  readonly line: string;
  /** 69 when it may come back by itself (retry with backoff), 78 when the operator must act. */
  readonly exitCode: number;
}

const DOCTOR = 'Run `flux-auth doctor` for a full check.';

// Network errors that say "not now" rather than "never": the dependency may come back.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

// Filesystem errors from creating or opening the SQLite file: only the operator can fix these.
const PATH_CODES = new Set(['EEXIST', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'SQLITE_CANTOPEN']);

/**
 * Turns an error thrown while starting (opening the database, migrating, listening) into one
 * plain line and an exit code. Never includes a stack or a password.
 */
export function explainStartupFailure(error: unknown, config: Config): StartupFailure {
  const found = findCode(error);
  const code = found?.code ?? '';
  if (found?.syscall === 'listen') return explainListen(code, config, error);
  const database = `DATABASE_URL (${redactUrl(config.databaseUrl)})`;
  const pg = describePostgres(config.databaseUrl);
  if (code === '28000' || code === '28P01') {
    return configError(
      `${database}: PostgreSQL refused the login of role "${pg.user}" (${found?.message ?? code}). Create the role or correct the user and password in DATABASE_URL.`,
    );
  }
  if (code === '3D000') {
    return configError(
      `${database}: database "${pg.database}" does not exist on ${pg.host}. Create it (createdb -h ${pg.host} -U ${pg.user} ${pg.database}) or correct the name in DATABASE_URL, then run \`flux-auth migrate\`.`,
    );
  }
  if (code === 'ENOTFOUND') {
    return unavailable(
      `${database}: host "${pg.host}" is not known (DNS lookup failed). Correct the host in DATABASE_URL, or wait for DNS if it is being created.`,
    );
  }
  if (UNAVAILABLE_CODES.has(code) || isConnectTimeout(error)) {
    return unavailable(
      `${database}: cannot connect to ${pg.host}:${pg.port} (${code || 'timed out'}). Start PostgreSQL or correct the host and port in DATABASE_URL; the service can be restarted once it is up.`,
    );
  }
  if (config.databaseUrl.startsWith('sqlite:') && PATH_CODES.has(code)) {
    const path = config.databaseUrl.slice('sqlite:'.length);
    return configError(
      `${database}: cannot create or open the SQLite file ${path} (${code}). Use a path in a writable directory, e.g. DATABASE_URL=sqlite:./data/flux-auth.db.`,
    );
  }
  return { line: `could not start: ${scrub(messageOf(error))}. ${DOCTOR}`, exitCode: 1 };
}

function explainListen(code: string, config: Config, error: unknown): StartupFailure {
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE') {
    return unavailable(
      `PORT (${config.port}): ${where} is already in use by another process. Stop it or set PORT to a free port.`,
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return configError(
      `HOST (${config.host}): not an address of this machine. Set HOST to one of its addresses, 127.0.0.1 or 0.0.0.0.`,
    );
  }
  if (code === 'EACCES') {
    return configError(
      `PORT (${config.port}): not allowed to listen on ${where}. Use a port above 1023 (put a reverse proxy on 80/443).`,
    );
  }
  return unavailable(`PORT/HOST (${where}): cannot listen: ${scrub(messageOf(error))}.`);
}

function configError(text: string): StartupFailure {
  return { line: `configuration error: ${text} ${DOCTOR}`, exitCode: EXIT_CONFIG };
}

function unavailable(text: string): StartupFailure {
  return { line: `unavailable: ${text} ${DOCTOR}`, exitCode: EXIT_UNAVAILABLE };
}

interface CodedError {
  readonly code: string;
  readonly syscall?: string;
  readonly message: string;
}

// Driver errors arrive wrapped (migration failed → cause) or grouped (one per address tried).
function findCode(error: unknown, depth = 0): CodedError | null {
  if (!(error instanceof Error) || depth > 5) return null;
  const { code, syscall } = error as Error & { code?: unknown; syscall?: unknown };
  // Our own errors (a 503 wrapping the driver's refusal) name an answer, not the cause.
  if (typeof code === 'string' && code !== '' && !(error instanceof AppError)) {
    return {
      code,
      message: error.message,
      syscall: typeof syscall === 'string' ? syscall : undefined,
    };
  }
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = findCode(inner, depth + 1);
      if (found) return found;
    }
  }
  return findCode(error.cause, depth + 1);
}

// node-postgres reports its own connection timeout as a plain Error without a code.
function isConnectTimeout(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  if (/timeout/i.test(error.message)) return true;
  return isConnectTimeout(error.cause, depth + 1);
}

function describePostgres(url: string): {
  user: string;
  host: string;
  port: string;
  database: string;
} {
  try {
    const parsed = new URL(url);
    return {
      user: decodeURIComponent(parsed.username) || 'postgres',
      host: parsed.hostname || 'localhost',
      port: parsed.port || '5432',
      database: decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username),
    };
  } catch {
    return { user: '?', host: '?', port: '?', database: '?' };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function scrub(message: string): string {
  return message.replace(/\/\/[^@\s]*@/g, '//***@');
}
