import { expect, it } from 'vitest';
import { createLogger } from '../../src/monitoring/logger.ts';

it('passes every log line through the shared scrubber: query strings, secrets by key, e-mails', () => {
  const lines: string[] = [];
  const logger = createLogger('info', { write: (line: string) => lines.push(line) });
  logger.info(
    {
      url: '/api/auth/login?token=abc123',
      details: { clientSecret: 's3cr3t', who: 'dave@example.com' },
    },
    'request from dave@example.com',
  );
  logger.error({ err: new Error('connect failed for postgres://flux:pw@db:5432/x') }, 'db');
  const text = lines.join('');
  for (const secret of ['abc123', 's3cr3t', 'dave@example.com', 'flux:pw']) {
    expect(text).not.toContain(secret);
  }
  expect(text).toContain('"url":"/api/auth/login"');
  expect(text).toContain('d***@example.com');
  expect(text).toContain('postgres://***@db:5432/x');
});
