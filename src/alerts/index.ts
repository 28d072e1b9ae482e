/** Public surface of alerting: wiring, routes, the CLI's pieces and the receiver's check. */

export type { AlertChannel, ChannelName } from './alert-channel.ts';
export {
  type AlertConfig,
  type AlertConfigResult,
  type EmailChannelConfig,
  readAlertConfig,
  type WebhookChannelConfig,
} from './alert-config.ts';
export { type AlertMessage, testAlertMessage } from './alert-message.ts';
export { type AlertRoutesOptions, alertRoutes } from './alert-routes.ts';
export { type AlertPage, type AlertView, insertAlert, listAlerts } from './alert-store.ts';
export { MAX_TRACKED_PER_WINDOW } from './alert-window.ts';
export type { Alerter, TestOutcome } from './alerter.ts';
export {
  type Alerting,
  type AlertingDeps,
  createAlerting,
  createChannels,
  type DeliveryTuning,
} from './create-alerting.ts';
export {
  DEFAULT_DELIVERY_OPTIONS,
  type DeliveryOutcome,
  DeliveryQueue,
  type DeliveryResult,
} from './delivery-queue.ts';
export {
  isValidWebhookSignature,
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_SECONDS,
  signWebhook,
} from './webhook-signature.ts';
