import type { Env } from '../config/load-config.ts';
import { isSeverity, type Severity } from '../events/severity.ts';

/** E-mail over SMTP (`SMTP_URL`, `ALERT_EMAIL_FROM`, `ALERT_EMAIL_TO`). */
export interface EmailChannelConfig {
  /** `smtp://` or `smtps://` URL; may carry user and password (never logged). */
  readonly smtpUrl: string;
  readonly from: string;
  readonly to: readonly string[];
  /** Alerts below this severity are not e-mailed. */
  readonly minSeverity: Severity;
}

/** Signed webhook (`ALERT_WEBHOOK_URL`, `ALERT_WEBHOOK_SECRET`). */
export interface WebhookChannelConfig {
  readonly url: string;
  /** HMAC-SHA256 key of the `X-Flux-Signature` header. */
  readonly secret: string;
  readonly minSeverity: Severity;
}

/** Alerting settings; a channel is null when not configured. */
export interface AlertConfig {
  readonly email: EmailChannelConfig | null;
  readonly webhook: WebhookChannelConfig | null;
  /** `ALERT_MIN_SEVERITY` (default high): the default of both channels. */
  readonly minSeverity: Severity;
  /** Events of one rule after its first alert are summed up into one digest per window. */
  readonly windowSeconds: number;
  /** `PUBLIC_URL` without a trailing slash: the dashboard link is `${publicUrl}/admin`. */
  readonly publicUrl: string | null;
}

/** The parsed alert settings, or one plain line per problem. */
export type AlertConfigResult =
  | { readonly ok: true; readonly alerts: AlertConfig }
  | { readonly ok: false; readonly problems: readonly string[] };

const SEVERITY_LIST = 'info, low, medium, high, critical';
// A plain address check: something@domain, with an optional "Name <…>" around it.
const ADDRESS = /^(?:[^<>]*<)?[^\s@<>,]+@[^\s@<>,]+\.[^\s@<>,]+>?$/;

/** Reads the `ALERT_*`, `SMTP_URL` and `PUBLIC_URL` variables; never throws, it reports. */
export function readAlertConfig(env: Env): AlertConfigResult {
  const problems: string[] = [];
  const value = (name: string) => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const severity = (name: string, fallback: Severity): Severity => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    if (isSeverity(raw)) return raw;
    problems.push(`${name}: "${raw}" is not one of ${SEVERITY_LIST}.`);
    return fallback;
  };
  const minSeverity = severity('ALERT_MIN_SEVERITY', 'high');
  const email = readEmail(value, severity('ALERT_EMAIL_MIN_SEVERITY', minSeverity), problems);
  const webhook = readWebhook(value, severity('ALERT_WEBHOOK_MIN_SEVERITY', minSeverity), problems);
  const windowSeconds = readWindow(value('ALERT_WINDOW_SECONDS'), problems);
  const publicUrl = readPublicUrl(value('PUBLIC_URL'), problems);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    alerts: Object.freeze({ email, webhook, minSeverity, windowSeconds, publicUrl }),
  };
}

type Read = (name: string) => string | undefined;

function readEmail(value: Read, minSeverity: Severity, problems: string[]) {
  const smtpUrl = value('SMTP_URL');
  const from = value('ALERT_EMAIL_FROM');
  const toText = value('ALERT_EMAIL_TO');
  if (smtpUrl === undefined) {
    if (from !== undefined || toText !== undefined) {
      problems.push(
        'SMTP_URL: not set while ALERT_EMAIL_FROM or ALERT_EMAIL_TO is; set it, e.g. SMTP_URL=smtp://user:pass@mail.example.com:587.',
      );
    }
    return null;
  }
  if (!isSmtpUrl(smtpUrl)) {
    // Never echo the value: it may hold the SMTP password.
    problems.push(
      'SMTP_URL: not a valid smtp:// or smtps:// URL, e.g. SMTP_URL=smtp://user:pass@mail.example.com:587.',
    );
  }
  if (from === undefined || !ADDRESS.test(from)) {
    problems.push(
      'ALERT_EMAIL_FROM: needs one sender address when SMTP_URL is set, e.g. ALERT_EMAIL_FROM=flux-auth@example.com.',
    );
  }
  const to = (toText ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const bad = to.filter((entry) => !ADDRESS.test(entry));
  if (to.length === 0 || bad.length > 0) {
    problems.push(
      `ALERT_EMAIL_TO: needs a comma-separated list of addresses when SMTP_URL is set${bad.length > 0 ? ` ("${bad[0]}" is not one)` : ''}, e.g. ALERT_EMAIL_TO=ops@example.com,security@example.com.`,
    );
  }
  return { smtpUrl, from: from ?? '', to: Object.freeze(to), minSeverity };
}

function isSmtpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function readWebhook(value: Read, minSeverity: Severity, problems: string[]) {
  const url = value('ALERT_WEBHOOK_URL');
  const secret = value('ALERT_WEBHOOK_SECRET');
  if (url === undefined) return null;
  if (!isHttpUrl(url)) {
    problems.push(
      'ALERT_WEBHOOK_URL: not an http:// or https:// URL, e.g. ALERT_WEBHOOK_URL=https://hooks.example.com/flux-auth.',
    );
  }
  if (secret === undefined) {
    problems.push(
      'ALERT_WEBHOOK_SECRET: not set while ALERT_WEBHOOK_URL is; receivers need it to check X-Flux-Signature. Generate one with: openssl rand -hex 32',
    );
  } else if (secret.length < 16) {
    problems.push(
      `ALERT_WEBHOOK_SECRET: is ${secret.length} characters; use at least 16 (openssl rand -hex 32).`,
    );
  }
  return { url, secret: secret ?? '', minSeverity };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function readWindow(raw: string | undefined, problems: string[]): number {
  if (raw === undefined) return 900;
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || seconds < 1 || seconds > 86_400) {
    problems.push(`ALERT_WINDOW_SECONDS: "${raw}" is not a whole number between 1 and 86400.`);
    return 900;
  }
  return seconds;
}

function readPublicUrl(raw: string | undefined, problems: string[]): string | null {
  if (raw === undefined) return null;
  if (!isHttpUrl(raw)) {
    problems.push(
      `PUBLIC_URL: "${raw}" is not an http:// or https:// URL, e.g. PUBLIC_URL=https://auth.example.com.`,
    );
    return null;
  }
  return raw.replace(/\/+$/, '');
}
