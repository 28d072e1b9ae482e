import { readProcessEnv, readVerifyEnv } from '../config/index.ts';
import { failAndExit } from './load-or-exit.ts';
import { formatVerifyTable, isLoopbackTarget, verifyInstance } from './verify.ts';

/**
 * `flux-auth verify <url>`: plays the SPEC §3 checks, then removes what it created when given
 * an admin token (`--admin-token` or `FLUX_AUTH_ADMIN_TOKEN`); exit 1 when any check failed.
 */
export async function runVerify(
  target: string,
  options: { iOwnThisHost?: boolean; adminToken?: string },
): Promise<void> {
  let base: URL;
  try {
    base = new URL(target);
  } catch {
    failAndExit('verify', new Error(`"${target}" is not a URL, e.g. http://127.0.0.1:3001`), 64);
  }
  const isLoopback = isLoopbackTarget(base);
  if (!isLoopback && !options.iOwnThisHost) {
    failAndExit(
      'verify',
      new Error(
        `${base.host} is not a loopback address; this runs an attack. Add --i-own-this-host if you own it`,
      ),
      64,
    );
  }
  // On loopback, act as two fresh clients so the checks don't block each other (or you).
  const octet = () => 2 + Math.floor(Math.random() * 250);
  const sourceAddresses =
    isLoopback && base.hostname !== '::1' && base.hostname !== '[::1]'
      ? { bruteForce: `127.0.${octet()}.${octet()}`, bot: `127.1.${octet()}.${octet()}` }
      : undefined;
  // The environment keeps the token out of `ps`; it is never printed.
  const adminToken = options.adminToken ?? readVerifyEnv(readProcessEnv()).adminToken;
  const checks = await verifyInstance(base, { adminToken, sourceAddresses });
  process.stdout.write(`${formatVerifyTable(checks)}\n`);
  process.exitCode = checks.some((c) => c.ok === false) ? 1 : 0;
}
