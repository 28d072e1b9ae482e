import type { AlertFacts, AlertKind, AlertMessage } from './alert-message.ts';

/**
 * The webhook body: Slack-compatible (`text` is shown as is by Slack, Mattermost, Teams
 * workflows…); the structured alert is under `flux`, as documented in the README.
 */
export interface WebhookBody {
  readonly text: string;
  readonly flux: {
    readonly version: 1;
    readonly kind: AlertKind;
    readonly rule: string;
    readonly severity: string;
    readonly headline: string;
    readonly description: string;
    readonly facts: AlertFacts;
    readonly dashboardUrl: string | null;
  };
}

/** Builds the JSON body of `message` (the exact bytes signed are `JSON.stringify` of it). */
export function renderWebhookBody(message: AlertMessage): WebhookBody {
  const link = message.dashboardUrl === null ? '' : ` <${message.dashboardUrl}|dashboard>`;
  return {
    text: `${message.subject}${link}`,
    flux: {
      version: 1,
      kind: message.kind,
      rule: message.rule,
      severity: message.severity,
      headline: message.headline,
      description: message.description,
      facts: message.facts,
      dashboardUrl: message.dashboardUrl,
    },
  };
}
