import { type AlertChannel, DeliveryError } from './alert-channel.ts';
import type { WebhookChannelConfig } from './alert-config.ts';
import type { AlertMessage } from './alert-message.ts';
import { renderWebhookBody } from './render-webhook.ts';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.ts';

/**
 * POSTs the Slack-compatible JSON body to `ALERT_WEBHOOK_URL`, signed in `X-Flux-Signature`.
 * Any 2xx is delivered; anything else, a timeout or a connection error is a failed attempt.
 * `clock` is epoch ms (the signature's timestamp).
 */
export function createWebhookChannel(
  config: WebhookChannelConfig,
  clock: () => number = Date.now,
): AlertChannel {
  return {
    name: 'webhook',
    minSeverity: config.minSeverity,
    send: async (message: AlertMessage, signal: AbortSignal) => {
      const body = JSON.stringify(renderWebhookBody(message));
      const response = await fetch(config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'flux-auth-alerts',
          [SIGNATURE_HEADER]: signWebhook(config.secret, body, clock() / 1000),
        },
        body,
        // A redirect could send the alert somewhere the operator did not configure.
        redirect: 'manual',
        signal,
      });
      // Drain so the connection is reused or closed, never left hanging.
      await response.arrayBuffer().catch(() => undefined);
      if (response.status < 200 || response.status > 299) {
        throw new DeliveryError(
          `http_${response.status}`,
          `webhook answered HTTP ${response.status}`,
        );
      }
    },
    close: () => {},
  };
}
