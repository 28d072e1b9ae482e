import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** One line of the verification table. */
export interface VerifyCheck {
  readonly name: string;
  readonly ok: boolean | null;
  readonly detail: string;
}

/** Options for `verifyInstance`. `sourceAddresses` lets loopback runs act as distinct clients. */
export interface VerifyOptions {
  readonly adminToken?: string;
  /** Local addresses for the brute-force and bot checks (loopback targets only). */
  readonly sourceAddresses?: { readonly bruteForce?: string; readonly bot?: string };
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackTarget(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function send(
  url: URL,
  method: string,
  body: unknown,
  headers: Record<string, string>,
  agent?: Agent,
) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const doRequest = url.protocol === 'https:' ? httpsRequest : request;
  return new Promise<Answer>((resolve, reject) => {
    const req = doRequest(url, {
      method,
      agent,
      timeout: 15_000,
      headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Six wrong logins: five 401 then 429 with Retry-After (SPEC §3 brute_force). */
export async function checkBruteForce(base: URL, localAddress?: string): Promise<VerifyCheck> {
  const agent = new Agent({ keepAlive: true, localAddress });
  const email = `verify-${randomBytes(6).toString('hex')}@example.invalid`;
  const statuses: number[] = [];
  let last: Answer | undefined;
  try {
    for (let i = 0; i < 6; i += 1) {
      last = await send(
        new URL('/api/auth/login', base),
        'POST',
        { email, password: `wrong-${i}-password` },
        {},
        agent,
      );
      statuses.push(last.status);
    }
  } finally {
    agent.destroy();
  }
  const ok =
    statuses.slice(0, 5).every((s) => s === 401) &&
    statuses[5] === 429 &&
    last?.headers['retry-after'] !== undefined;
  return {
    name: 'brute_force: 6 wrong logins → 5×401 then 429',
    ok,
    detail: `statuses ${statuses.join(',')}; Retry-After ${String(last?.headers['retry-after'] ?? 'missing')}`,
  };
}

/** Fifty-five rapid signups with a scripted User-Agent: at most fifty accepted (bot_activity). */
export async function checkBotActivity(base: URL, localAddress?: string): Promise<VerifyCheck> {
  const agent = new Agent({ keepAlive: true, localAddress, maxSockets: 16 });
  const run = randomBytes(4).toString('hex');
  try {
    const answers = await Promise.all(
      Array.from({ length: 55 }, (_, i) =>
        send(
          new URL('/api/auth/signup', base),
          'POST',
          {
            email: `verify-bot-${run}-${i}@example.invalid`,
            password: `Verify-${run}-passphrase-${i}`,
            name: 'verify',
          },
          { 'user-agent': 'curl/7.68.0' },
          agent,
        ),
      ),
    );
    const limited = answers.filter((a) => a.status === 429);
    const accepted = answers.filter((a) => a.status !== 429).length;
    const hasText = limited.every((a) => a.body.includes('Too many signup attempts'));
    return {
      name: 'bot_activity: 55 rapid signups → at most 50 accepted',
      ok: accepted <= 50 && limited.length >= 5 && hasText,
      detail: `${accepted} answered without 429, ${limited.length} × 429${hasText ? '' : ' (unexpected text)'}`,
    };
  } finally {
    agent.destroy();
  }
}

/** The suspicious user agent was recorded (needs an admin token to read the audit log). */
export async function checkSuspiciousAgent(base: URL, adminToken?: string): Promise<VerifyCheck> {
  const name = 'suspicious_user_agent: scripted client logged';
  if (!adminToken)
    return { name, ok: null, detail: 'not checked: pass --admin-token to read the audit log' };
  const url = new URL('/api/admin/events?type=suspicious_user_agent&limit=5', base);
  const answer = await send(url, 'GET', undefined, { authorization: `Bearer ${adminToken}` });
  if (answer.status !== 200)
    return { name, ok: false, detail: `admin events answered ${answer.status}` };
  const page = JSON.parse(answer.body) as { events?: { userAgent?: string | null }[] };
  const found = (page.events ?? []).some((e) => (e.userAgent ?? '').includes('curl'));
  return {
    name,
    ok: found,
    detail: found ? 'event recorded' : 'no suspicious_user_agent event for curl',
  };
}

/** Runs every check against `base` in order; a network failure becomes a failed check. */
export async function verifyInstance(
  base: URL,
  options: VerifyOptions = {},
): Promise<VerifyCheck[]> {
  const checks: VerifyCheck[] = [];
  const attempts: [string, () => Promise<VerifyCheck>][] = [
    ['brute_force', () => checkBruteForce(base, options.sourceAddresses?.bruteForce)],
    ['bot_activity', () => checkBotActivity(base, options.sourceAddresses?.bot)],
    ['suspicious_user_agent', () => checkSuspiciousAgent(base, options.adminToken)],
  ];
  for (const [name, attempt] of attempts) {
    try {
      checks.push(await attempt());
    } catch (error) {
      checks.push({
        name,
        ok: false,
        detail: `could not run: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  return checks;
}

/** Renders the checks as `PASS|FAIL|SKIP  name  detail` lines. */
export function formatVerifyTable(checks: readonly VerifyCheck[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  return checks
    .map(
      (c) =>
        `${c.ok === null ? 'SKIP' : c.ok ? 'PASS' : 'FAIL'}  ${c.name.padEnd(width)}  ${c.detail}`,
    )
    .join('\n');
}
