import nodemailer from 'nodemailer';
import { type AlertChannel, DeliveryError } from './alert-channel.ts';
import type { EmailChannelConfig } from './alert-config.ts';
import type { AlertMessage } from './alert-message.ts';
import { renderEmail } from './render-email.ts';

/** Socket timeouts of one SMTP attempt (ms); the queue's attempt timeout also applies. */
const SMTP_TIMEOUT_MS = 10_000;

/**
 * E-mail through nodemailer over `SMTP_URL`: one connection per message (alerts are rare),
 * STARTTLS when the server offers it, to every `ALERT_EMAIL_TO` address at once.
 */
export function createEmailChannel(config: EmailChannelConfig): AlertChannel {
  const transport = nodemailer.createTransport({
    url: config.smtpUrl,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  return {
    name: 'email',
    minSeverity: config.minSeverity,
    send: async (message: AlertMessage, signal: AbortSignal) => {
      const email = renderEmail(message);
      // nodemailer takes no AbortSignal: give up waiting on it, its own timeouts end the socket.
      await raceAbort(
        transport.sendMail({
          from: config.from,
          to: [...config.to],
          subject: email.subject,
          text: email.text,
          html: email.html,
          headers: { 'X-Flux-Alert': `${message.kind}; rule=${message.rule}` },
        }),
        signal,
      );
    },
    close: () => transport.close(),
  };
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function abortError(signal: AbortSignal): DeliveryError {
  const reason: unknown = signal.reason;
  const isTimeout = reason instanceof Error && reason.name === 'TimeoutError';
  return new DeliveryError(isTimeout ? 'timeout' : 'aborted', 'SMTP send did not finish in time');
}
