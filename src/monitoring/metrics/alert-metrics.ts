import { Counter, type Registry } from 'prom-client';

/** Channels and outcomes pre-set to 0 so dashboards see every series before the first alert. */
const CHANNELS = ['email', 'webhook'] as const;
const OUTCOMES = ['sent', 'failed', 'dropped'] as const;

/**
 * `flux_auth_alert_deliveries_total{channel,outcome}`: each alert message's final outcome on one
 * channel. Returns the function that counts one.
 */
export function createAlertDeliveryCounter(
  registry: Registry,
): (channel: (typeof CHANNELS)[number], outcome: (typeof OUTCOMES)[number]) => void {
  const counter = new Counter({
    name: 'flux_auth_alert_deliveries_total',
    help: 'Alert messages by channel (email, webhook) and final outcome: sent, failed (after every retry), dropped (queue full or shutdown).',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });
  for (const channel of CHANNELS)
    for (const outcome of OUTCOMES) counter.inc({ channel, outcome }, 0);
  return (channel, outcome) => counter.inc({ channel, outcome });
}
