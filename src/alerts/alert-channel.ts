import type { Severity } from '../events/severity.ts';
import type { AlertMessage } from './alert-message.ts';

/** The channels an alert can go to; also the `channel` column of the `alerts` table. */
export type ChannelName = 'email' | 'webhook';

/** One way of telling an operator. */
export interface AlertChannel {
  readonly name: ChannelName;
  /** Alerts below this severity are not sent here (tests always are). */
  readonly minSeverity: Severity;
  /** One delivery attempt; rejects with a `DeliveryError` (or any error) when it failed. */
  send(message: AlertMessage, signal: AbortSignal): Promise<void>;
  /** Releases connections; in-flight sends may still settle. */
  close(): void;
}

/** A failed attempt with a class safe to store and count (never the error's text). */
export class DeliveryError extends Error {
  /** `timeout`, `connection`, `http_500`, `smtp_550`, `aborted`, `error`. */
  readonly errorClass: string;

  constructor(errorClass: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeliveryError';
    this.errorClass = errorClass;
  }
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ESOCKET',
  'ECONNECTION',
  'EDNS',
  'UND_ERR_SOCKET',
]);

/** The class of any failure: stored in `alerts.details` and the failure event. */
export function classifyDeliveryError(error: unknown): string {
  if (error instanceof DeliveryError) return error.errorClass;
  if (!(error instanceof Error)) return 'error';
  if (error.name === 'TimeoutError') return 'timeout';
  if (error.name === 'AbortError') return 'aborted';
  const codes = [error, error.cause].map((e) =>
    typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined,
  );
  if (codes.includes('ETIMEDOUT')) return 'timeout';
  if (codes.some((code) => typeof code === 'string' && CONNECTION_CODES.has(code))) {
    return 'connection';
  }
  const responseCode = (error as { responseCode?: unknown }).responseCode;
  if (typeof responseCode === 'number') return `smtp_${responseCode}`;
  return 'error';
}
