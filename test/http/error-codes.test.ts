import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.ts';

// The README's error table, the ERROR_CODES table and the statuses must agree.
it('documents every error code with its status, and nothing else', () => {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('### Error codes'));
  const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [
    m[1],
    Number(m[2]),
  ]);
  expect(Object.fromEntries(rows)).toEqual(ERROR_CODES);
});

it('uses every code in the source, so none is dead', () => {
  const sources = [
    'src/errors.ts',
    'src/http/error-handler.ts',
    'src/http/routes/admin-routes.ts',
    'src/http/routes/health-routes.ts',
    'src/detection/rules/verdict.ts',
  ];
  const text = sources.map((f) => readFileSync(f, 'utf8')).join('\n');
  for (const code of Object.keys(ERROR_CODES)) {
    const uses = text.split(`'${code}'`).length - 1;
    expect(uses, code).toBeGreaterThanOrEqual(
      code === 'VALIDATION_FAILED' || code === 'INTERNAL_ERROR' ? 1 : 1,
    );
  }
});
