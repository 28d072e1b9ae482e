import { expect, it } from 'vitest';
import {
  createPrettyDestination,
  shouldPrettyPrint,
} from '../../src/monitoring/log-destination.ts';

it('pretty-prints only for a terminal outside production', () => {
  expect(shouldPrettyPrint('development', true)).toBe(true);
  expect(shouldPrettyPrint('test', true)).toBe(true);
  expect(shouldPrettyPrint('development', false)).toBe(false);
  expect(shouldPrettyPrint('production', true)).toBe(false);
});

it('gives a pino-pretty stream in development installs', async () => {
  expect(await createPrettyDestination()).toBeDefined();
});
