import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../src/config/index.ts';
import type { DatabaseHandle } from '../../src/db/index.ts';
import { type DetectionPolicy, parsePolicy } from '../../src/detection/index.ts';
import type { App } from '../../src/http/app.ts';
import {
  createHttpApp,
  createServices,
  type ServiceOverrides,
  type Services,
} from '../../src/main.ts';
import { createLogger } from '../../src/monitoring/logger.ts';
import { testStrengthEstimator } from './strength.ts';

/** The HS256 secret every test service signs with. */
export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/** A full service over a test database: the app (for inject) and, if listening, its URL. */
export interface TestService {
  readonly app: App;
  readonly services: Services;
  readonly config: Config;
  /** `http://127.0.0.1:<port>` once `listen` resolved. */
  url: string;
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** Options: environment variables on top of the test defaults, plus service overrides. */
export interface TestServiceOptions extends Omit<ServiceOverrides, 'database'> {
  readonly env?: Record<string, string>;
  /** Where log lines go (with LOG_LEVEL from env); default: silent. */
  readonly logStream?: { write(line: string): void };
}

/** The default policy with brute-force and bot rules only watching, out of a test's way. */
export function generousPolicy(): DetectionPolicy {
  const parsed = parsePolicy({
    rules: {
      brute_force: { mode: 'monitor' },
      bot_activity: { mode: 'monitor' },
    },
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.policy;
}

let dataDir: string | null = null;

/** One temp data directory per test process, made on first use. */
function testDataDir(): string {
  dataDir ??= mkdtempSync(join(tmpdir(), 'flux-test-data-'));
  return dataDir;
}

/** Builds config from a test environment; throws with the problems when invalid. */
export function testConfig(env: Record<string, string> = {}): Config {
  const result = loadConfig(
    {
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'silent',
      PORT: '0',
      // Not the checkout's ./data: what one test's service notes there (a proxy it saw in
      // front) must not change how another test's service starts.
      DATA_DIR: testDataDir(),
      ...env,
    },
    { cwd: process.cwd(), loadDevSecret: () => TEST_JWT_SECRET },
  );
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

/** Builds every service and the app over `database`; the caller closes it. */
export async function createTestService(
  database: DatabaseHandle,
  options: TestServiceOptions = {},
): Promise<TestService> {
  const config = testConfig(options.env);
  const logger = createLogger(config.logLevel, options.logStream);
  const services = await createServices(config, logger, {
    strengthEstimator: testStrengthEstimator(),
    ...options,
    database,
  });
  const app = await createHttpApp(services, options.clock);
  const service: TestService = {
    app,
    services,
    config,
    url: '',
    listen: async () => {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as AddressInfo;
      service.url = `http://127.0.0.1:${port}`;
      return service.url;
    },
    close: async () => {
      await app.close();
      await services.close();
    },
  };
  return service;
}
