import type { Breadcrumb, Event, NodeOptions, StackFrame } from '@sentry/node';
import { REDACTED, scrubHeaders, scrubString, scrubValue, stripQueryString } from './scrubber.ts';

/** A transaction event as `beforeSendTransaction` receives it. */
export type TransactionEvent = Parameters<NonNullable<NodeOptions['beforeSendTransaction']>>[0];

/** A span of a transaction (static trace lifecycle), as `withStaticSpan` callbacks receive it. */
export type StaticSpan = NonNullable<TransactionEvent['spans']>[number];

/**
 * Scrubs an error, message or transaction event in place and returns it: messages, exception
 * values and frame variables, the request (body, cookies and query string dropped, headers
 * filtered, URL without query), tags, extra, contexts, breadcrumbs and spans. The user keeps
 * its id only. Release, environment, ids and timestamps are left alone.
 */
export function scrubEvent<E extends Event>(event: E): E {
  if (event.message !== undefined) event.message = scrubString(event.message);
  if (event.logentry !== undefined) {
    event.logentry = {
      message:
        event.logentry.message === undefined ? undefined : scrubString(event.logentry.message),
      params: event.logentry.params === undefined ? undefined : [],
    };
  }
  if (event.transaction !== undefined) {
    event.transaction = scrubString(stripQueryString(event.transaction));
  }
  for (const exception of event.exception?.values ?? []) {
    if (exception.value !== undefined) exception.value = scrubString(exception.value);
    for (const frame of exception.stacktrace?.frames ?? []) scrubFrame(frame);
  }
  if (event.request !== undefined) {
    const { request } = event;
    delete request.data;
    delete request.cookies;
    delete request.query_string;
    if (request.url !== undefined) request.url = scrubString(stripQueryString(request.url));
    if (request.headers !== undefined) request.headers = flatHeaders(request.headers);
  }
  if (event.user !== undefined) {
    event.user = event.user.id === undefined ? {} : { id: event.user.id };
  }
  if (event.tags !== undefined) event.tags = scrubRecord(event.tags) as typeof event.tags;
  if (event.extra !== undefined) event.extra = scrubRecord(event.extra);
  if (event.contexts !== undefined) {
    event.contexts = scrubRecord(event.contexts) as typeof event.contexts;
  }
  if (event.breadcrumbs !== undefined) {
    event.breadcrumbs = event.breadcrumbs.map((breadcrumb) => scrubBreadcrumb(breadcrumb));
  }
  if (event.spans !== undefined) for (const span of event.spans) scrubSpan(span);
  return event;
}

/** Scrubs a breadcrumb (message, data) before it is kept for later events. */
export function scrubBreadcrumb(breadcrumb: Breadcrumb): Breadcrumb {
  return {
    ...breadcrumb,
    message: breadcrumb.message === undefined ? undefined : scrubString(breadcrumb.message),
    data: breadcrumb.data === undefined ? undefined : scrubRecord(breadcrumb.data),
  };
}

/**
 * Scrubs one span in place: its name and every attribute, including the request body that the
 * HTTP instrumentation may record (`http.request.body.data`) and URLs with query strings.
 */
export function scrubSpan<S extends StaticSpan>(span: S): S {
  if (span.description !== undefined) span.description = scrubString(span.description);
  span.data = scrubRecord(span.data) as S['data'];
  return span;
}

function scrubFrame(frame: StackFrame): void {
  if (frame.vars !== undefined) frame.vars = scrubRecord(frame.vars);
  // Source context lines can show a literal secret in the code around the frame.
  if (frame.context_line !== undefined) frame.context_line = scrubString(frame.context_line);
  if (frame.pre_context !== undefined) frame.pre_context = frame.pre_context.map(scrubString);
  if (frame.post_context !== undefined) frame.post_context = frame.post_context.map(scrubString);
}

function scrubRecord(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const scrubbed = scrubValue(record);
  return typeof scrubbed === 'object' && scrubbed !== null && !Array.isArray(scrubbed)
    ? (scrubbed as Record<string, unknown>)
    : { value: REDACTED };
}

function flatHeaders(headers: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(scrubHeaders(headers))) {
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
