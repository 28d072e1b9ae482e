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
    /** Caveats on the facts, also appended to `text`: distinct counts that are lower bounds. */
    readonly notes: readonly string[];
    readonly dashboardUrl: string | null;
  };
}

/** Builds the JSON body of `message` (the exact bytes signed are `JSON.stringify` of it). */
export function renderWebhookBody(message: AlertMessage): WebhookBody {
  const link = message.dashboardUrl === null ? '' : ` <${message.dashboardUrl}|dashboard>`;
  const notes = message.notes.map((note) => `\n${note}`).join('');
  return {
    text: `${message.subject}${link}${notes}`,
    flux: {
      version: 1,
      kind: message.kind,
      rule: message.rule,
      severity: message.severity,
      headline: message.headline,
      description: message.description,
      facts: message.facts,
      notes: message.notes,
      dashboardUrl: message.dashboardUrl,
    },
  };
}
