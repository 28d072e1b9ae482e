import { type AlertMessage, formatCount } from './alert-message.ts';

/** An alert as an e-mail: subject, plain-text part and HTML part. */
export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const KIND_TEXT = {
  first: 'First alert: further events of this rule are summed up in one digest per window.',
  digest: 'Digest of the events since the last alert of this rule.',
  test: 'Test message sent by an operator (flux-auth alert-test or POST /api/admin/alerts/test).',
} as const;

/** Renders `message` as text and HTML (every value escaped in the HTML). */
export function renderEmail(message: AlertMessage): RenderedEmail {
  const rows = factRows(message);
  const text = [
    message.subject.replace(/^\[flux-auth\] /, ''),
    '',
    message.description,
    KIND_TEXT[message.kind],
    '',
    ...rows.map(([name, value]) => `${name}: ${value}`),
    ...(message.notes.length === 0 ? [] : ['', ...message.notes.map((note) => `Note: ${note}`)]),
    ...(message.dashboardUrl === null ? [] : ['', `Dashboard: ${message.dashboardUrl}`]),
    '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2>${escapeHtml(message.subject.replace(/^\[flux-auth\] /, ''))}</h2>`,
    `<p>${escapeHtml(message.description)}<br>${escapeHtml(KIND_TEXT[message.kind])}</p>`,
    '<table cellpadding="4" style="border-collapse:collapse">',
    ...rows.map(
      ([name, value]) =>
        `<tr><th align="left">${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`,
    ),
    '</table>',
    ...message.notes.map((note) => `<p>Note: ${escapeHtml(note)}</p>`),
    message.dashboardUrl === null
      ? ''
      : `<p><a href="${escapeHtml(message.dashboardUrl)}">Open the dashboard</a></p>`,
    '</body></html>',
  ].join('\n');
  return { subject: message.subject, text, html };
}

function factRows(message: AlertMessage): [string, string][] {
  const { facts } = message;
  const list = (items: readonly { value: string; count: number }[]) =>
    items.length === 0 ? 'none' : items.map((item) => `${item.value} (${item.count})`).join(', ');
  const actions = Object.entries(facts.actions);
  // `10,000+`: past the window's tracking cap the distinct count is a lower bound.
  const distinct = (count: number, isCapped: boolean) =>
    `${formatCount(count)}${isCapped ? '+' : ''}`;
  return [
    ['Rule', message.rule],
    ['Severity', message.severity],
    ['Events', formatCount(facts.eventCount)],
    ['Distinct IPs', distinct(facts.distinctIps, facts.isDistinctIpsCapped)],
    ['Distinct accounts', distinct(facts.distinctAccounts, facts.isDistinctAccountsCapped)],
    ['Top IPs', list(facts.topIps)],
    ['Top accounts', list(facts.topAccounts)],
    ['First event', facts.firstAt],
    ['Last event', facts.lastAt],
    [
      'Actions taken',
      actions.length === 0 ? 'none' : actions.map(([name, n]) => `${name} × ${n}`).join(', '),
    ],
  ];
}

/** Escapes the five HTML special characters. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}
