import type { ErrorEvent } from '@sentry/node';
import { describe, expect, it } from 'vitest';
import {
  type StaticSpan,
  scrubBreadcrumb,
  scrubEvent,
  scrubSpan,
  type TransactionEvent,
} from '../../src/monitoring/sentry-scrub.ts';

const password = 'Correct-Horse-Battery-4711';
const refreshToken = 'q9Zr-7vXk_2mN4pL8sT1wY6bC3dF5gH0jK-LmNoPqRs';
const email = 'carol.secret@example.com';
const secrets = [password, refreshToken, email, 'carol.secret'];

function expectNoSecret(value: unknown): void {
  const text = JSON.stringify(value);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('scrubEvent', () => {
  it('cleans an error event: exception value, request, user, tags, extra, contexts, breadcrumbs', () => {
    const event: ErrorEvent = {
      type: undefined,
      release: 'flux-auth@0.1.0',
      message: `login of ${email} failed`,
      exception: {
        values: [
          {
            type: 'Error',
            value: `refused ${email} password=${password} token=${refreshToken}`,
            stacktrace: { frames: [{ function: 'login', vars: { password, email } }] },
          },
        ],
      },
      request: {
        url: `http://127.0.0.1/api/auth/login?token=${refreshToken}`,
        query_string: `token=${refreshToken}`,
        data: JSON.stringify({ email, password }),
        cookies: { refresh_token: refreshToken },
        headers: { authorization: 'Bearer abc', cookie: 'a=b', 'user-agent': 'curl/8' },
      },
      user: { id: 'user-1', email, ip_address: '203.0.113.9' },
      tags: { request_id: 'req-1', route: '/api/auth/login' },
      extra: { body: { password }, note: `for ${email}` },
      contexts: {
        trace: {
          trace_id: 'a'.repeat(32),
          span_id: 'b'.repeat(16),
          data: {
            'http.request.body.data': JSON.stringify({ password }),
            'url.full': `http://h/p?x=${refreshToken}`,
          },
        },
      },
      breadcrumbs: [{ message: `GET /x?email=${email}`, data: { refreshToken } }],
    };
    const scrubbed = scrubEvent(event);
    expectNoSecret(scrubbed);
    expect(scrubbed.release).toBe('flux-auth@0.1.0');
    expect(scrubbed.user).toEqual({ id: 'user-1' });
    expect(scrubbed.tags).toEqual({ request_id: 'req-1', route: '/api/auth/login' });
    expect(scrubbed.request).toEqual({
      url: 'http://127.0.0.1/api/auth/login',
      headers: { 'user-agent': 'curl/8' },
    });
    expect(scrubbed.exception?.values?.[0]?.value).toContain('c***@example.com');
    expect(scrubbed.contexts?.trace?.trace_id).toBe('a'.repeat(32));
  });

  it('cleans a transaction: its name, the root span data and every span (request body attribute)', () => {
    const transaction: TransactionEvent = {
      type: 'transaction',
      transaction: `POST /api/auth/login?email=${email}`,
      contexts: {
        trace: {
          trace_id: 'a'.repeat(32),
          span_id: 'b'.repeat(16),
          data: { 'url.query': `?token=${refreshToken}` },
        },
      },
      spans: [
        {
          span_id: 'c'.repeat(16),
          trace_id: 'a'.repeat(32),
          start_timestamp: 1,
          status: 'ok',
          description: `POST /api/auth/login?password=${password}`,
          data: {
            'http.request.body.data': JSON.stringify({ email, password }),
            'http.route': '/api/auth/login',
          },
        },
      ],
    };
    const scrubbed = scrubEvent(transaction);
    expectNoSecret(scrubbed);
    expect(scrubbed.transaction).toBe('POST /api/auth/login');
    expect(scrubbed.spans?.[0]?.data['http.route']).toBe('/api/auth/login');
  });

  it('scrubs a single span and a breadcrumb the same way', () => {
    const span: StaticSpan = {
      span_id: 'c'.repeat(16),
      trace_id: 'a'.repeat(32),
      start_timestamp: 1,
      status: 'ok',
      data: { 'http.request.body.data': `{"password":"${password}"}` },
    };
    expectNoSecret(scrubSpan(span));
    expectNoSecret(scrubBreadcrumb({ message: `mail to ${email}`, data: { password } }));
  });
});
