import { createRequire } from 'node:module';
import type { NodeOptions } from '@sentry/node';

const require = createRequire(import.meta.url);
/** One SDK integration (the type `@sentry/node` takes but does not export by name). */
type Integration = Extract<NonNullable<NodeOptions['defaultIntegrations']>, unknown[]>[number];

/**
 * The CPU profiler's integration (`@sentry/profiling-node`, a prebuilt native addon) when
 * `SENTRY_PROFILES_SAMPLE_RATE` is above 0, else none: the addon is loaded only then. Loaded
 * synchronously because the instrument file initialises Sentry before anything else runs.
 * SDK 11 profiles continuously: the rate picks the processes that profile (once per process)
 * and, with `profileLifecycle: 'trace'`, they profile while a sampled trace is running.
 */
export function profilingIntegrations(profilesSampleRate: number): Integration[] {
  if (profilesSampleRate <= 0) return [];
  const { nodeProfilingIntegration } = require('@sentry/profiling-node') as {
    nodeProfilingIntegration: () => Integration;
  };
  return [nodeProfilingIntegration()];
}
