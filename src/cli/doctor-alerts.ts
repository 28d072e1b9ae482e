import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import nodemailer from 'nodemailer';
import type { Config } from '../config/index.ts';
import { scrubString } from '../monitoring/scrubber.ts';
import type { DoctorCheck } from './doctor.ts';

const TIMEOUT_MS = 5000;

/** Connects to `SMTP_URL` and says EHLO (STARTTLS and login when the URL asks for them). */
export async function checkSmtp(config: Config): Promise<DoctorCheck> {
  const name = 'alert e-mail';
  const email = config.alerts.email;
  if (email === null) return { name, ok: true, detail: 'not configured (SMTP_URL unset)', fix: '' };
  const where = smtpHost(email.smtpUrl);
  const transport = nodemailer.createTransport({
    url: email.smtpUrl,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
  });
  try {
    await transport.verify();
    return {
      name,
      ok: true,
      detail: `${where} answers EHLO; to ${email.to.join(', ')}`,
      fix: '',
    };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `${where}: ${reasonOf(error)}`,
      fix: 'Check SMTP_URL (host, port, user, password) and that this host may reach it; `flux-auth alert-test` sends a test message.',
    };
  } finally {
    transport.close();
  }
}

/** Resolves the webhook's host and asks it for any HTTP answer (HEAD, unsigned, no body). */
export async function checkWebhook(config: Config): Promise<DoctorCheck> {
  const name = 'alert webhook';
  const webhook = config.alerts.webhook;
  if (webhook === null) {
    return { name, ok: true, detail: 'not configured (ALERT_WEBHOOK_URL unset)', fix: '' };
  }
  const url = new URL(webhook.url);
  try {
    await lookup(url.hostname);
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `${url.host} does not resolve: ${reasonOf(error)}`,
      fix: 'Check the host name in ALERT_WEBHOOK_URL and this machine’s DNS.',
    };
  }
  try {
    const status = await headStatus(url);
    return { name, ok: true, detail: `${url.host} answers (HTTP ${status})`, fix: '' };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `${url.host} resolves but does not answer: ${reasonOf(error)}`,
      fix: 'Check ALERT_WEBHOOK_URL (port, path) and firewalls; `flux-auth alert-test` sends a signed test.',
    };
  }
}

function headStatus(url: URL): Promise<number> {
  return new Promise((resolve, reject) => {
    const module = url.protocol === 'https:' ? https : http;
    const request = module.request(url, { method: 'HEAD', timeout: TIMEOUT_MS }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    request.on('error', reject);
    request.end();
  });
}

// Host and port only: the URL's user and password never reach the table.
function smtpHost(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  return `${url.protocol}//${url.host}`;
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return scrubString(message).slice(0, 160);
}
