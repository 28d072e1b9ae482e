import type { Env } from './load-config.ts';

/** Settings of the `verify` command that may come from the environment. */
export interface VerifyEnv {
  /** `FLUX_AUTH_ADMIN_TOKEN`: an admin access token (kept out of `ps`, unlike an argument). */
  readonly adminToken: string | undefined;
}

/** Reads the `verify` command's environment; an empty value counts as unset. */
export function readVerifyEnv(env: Env): VerifyEnv {
  const token = env.FLUX_AUTH_ADMIN_TOKEN?.trim();
  return { adminToken: token ? token : undefined };
}
