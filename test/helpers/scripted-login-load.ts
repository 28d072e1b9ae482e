import { AttackClient, type AttackResponse } from './attack-client.ts';
import type { HasUrl } from './fleet-drills.ts';

/** A User-Agent the suspicious_user_agent rule counts on every request (a scripted client). */
export const SCRIPTED_USER_AGENT = 'python-requests/2.31.0';

/** One answer of a `ScriptedLoginLoad` (status 0: no answer), with when it was sent (epoch ms). */
export interface ScriptedAnswer {
  readonly status: number;
  readonly sentAt: number;
  readonly ms: number;
  readonly response: AttackResponse | null;
  /** The network error's code when there was no answer (e.g. `ECONNREFUSED`), else null. */
  readonly errorCode: string | null;
}

/**
 * Real logins (unknown accounts: a database lookup and a dummy hash each, answered 401) from
 * `workers` loops until `stop`, each from an address, with an account of its own, that changes
 * every `perAddress` requests so that no rule (brute force, bot, account guard) blocks the load. Every request carries `SCRIPTED_USER_AGENT`: each one that passes
 * the detector is counted in a `suspicious_user_agent` event (rolled up, with `details.count`),
 * which lets a drill check that no audit event was lost. After a non-2xx/4xx answer a loop waits
 * `pauseMs`, as a client honouring Retry-After would.
 */
export class ScriptedLoginLoad {
  readonly #answers: ScriptedAnswer[] = [];
  readonly #loops: Promise<void>[];
  #isRunning = true;

  constructor(
    server: HasUrl,
    options: { workers: number; block: number; perAddress?: number; pauseMs?: number },
  ) {
    this.#loops = Array.from({ length: options.workers }, (_, worker) =>
      this.#loop(server, { ...options, worker }),
    );
  }

  /** Answers so far. */
  get answers(): readonly ScriptedAnswer[] {
    return this.#answers;
  }

  /** Stops sending; resolves once every request in flight has been answered. */
  async stop(): Promise<readonly ScriptedAnswer[]> {
    this.#isRunning = false;
    await Promise.all(this.#loops);
    return this.#answers;
  }

  async #loop(
    server: HasUrl,
    options: { block: number; worker: number; perAddress?: number; pauseMs?: number },
  ): Promise<void> {
    const perAddress = options.perAddress ?? 3;
    for (let i = 0; this.#isRunning; i += 1) {
      const n = Math.floor(i / perAddress);
      const address = `127.${options.block}.${options.worker * 16 + Math.floor(n / 250)}.${(n % 250) + 1}`;
      const client = new AttackClient(address, { keepAlive: false });
      const sentAt = Date.now();
      const started = performance.now();
      let response: AttackResponse | null = null;
      let errorCode: string | null = null;
      try {
        response = await client.post(
          `${server.url}/api/auth/login`,
          { email: `drill-${address}@example.com`, password: `wrong passphrase ${i}` },
          { 'user-agent': SCRIPTED_USER_AGENT },
        );
      } catch (error) {
        // A refused or reset connection: reported as status 0 with its code.
        errorCode = String((error as { code?: unknown }).code ?? error);
      }
      const status = response?.status ?? 0;
      this.#answers.push({
        status,
        sentAt,
        ms: performance.now() - started,
        response,
        errorCode,
      });
      if (status === 0 || status >= 500) {
        await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 100));
      }
    }
  }
}
