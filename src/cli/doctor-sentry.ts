import http from 'node:http';
import https from 'node:https';
import { type Config, parseSentryDsn } from '../config/index.ts';
import { scrubString } from '../monitoring/scrubber.ts';
import type { DoctorCheck } from './doctor.ts';

/** Asks the ingestion host for an HTTP answer; resolves with its status, rejects if none. */
export type SentryPing = (origin: string, timeoutMs: number) => Promise<number>;

/** Any HTTP answer from the host counts: it is up and reachable (the key is not checked). */
export const pingSentryHost: SentryPing = (origin, timeoutMs) =>
  new Promise((resolve, reject) => {
    const module = origin.startsWith('https:') ? https : http;
    const request = module.request(origin, { method: 'HEAD', timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end();
  });

/** Checks the Sentry DSN's syntax (again, to say so in the table) and that its host answers. */
export async function checkSentry(config: Config, ping: SentryPing): Promise<DoctorCheck> {
  const name = 'sentry';
  const { dsn } = config.sentry;
  if (dsn === null) {
    return {
      name,
      ok: true,
      detail: 'not configured (SENTRY_DSN unset): errors are only logged',
      fix: '',
    };
  }
  const parsed = parseSentryDsn(dsn);
  if (parsed === null) {
    return {
      name,
      ok: false,
      detail: 'SENTRY_DSN is not a valid DSN',
      fix: 'Copy the DSN from the Sentry project (Settings > Client Keys) or unset SENTRY_DSN.',
    };
  }
  const port = parsed.port === '' ? '' : `:${parsed.port}`;
  const origin = `${parsed.protocol}://${parsed.host}${port}/`;
  try {
    const status = await ping(origin, 3000);
    return {
      name,
      ok: true,
      detail: `${parsed.host}${port} answers (HTTP ${status}), project ${parsed.projectId}`,
      fix: '',
    };
  } catch (error) {
    const reason = scrubString(error instanceof Error ? error.message : String(error));
    return {
      name,
      ok: false,
      detail: `ingestion host ${parsed.host}${port} does not answer: ${reason.slice(0, 120)}`,
      fix: 'Check SENTRY_DSN and that this host can reach it (firewall, proxy, DNS).',
    };
  }
}
