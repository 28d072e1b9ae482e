import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** One line of the verification table. */
export interface VerifyCheck {
  readonly name: string;
  readonly ok: boolean | null;
  readonly detail: string;
}

/** What a verify run created on the target (accounts, and requests that may have blocked). */
export interface VerifyTrail {
  /** Accounts the bot check's signups created. */
  readonly userIds: string[];
  /** `X-Request-Id` of every request sent, to find the blocks they caused in the audit log. */
  readonly requestIds: Set<string>;
  /** Checks that ended blocked (each left one IP block). */
  blockedChecks: number;
}

/** A trail with nothing in it yet. */
export function emptyTrail(): VerifyTrail {
  return { userIds: [], requestIds: new Set(), blockedChecks: 0 };
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

function noteRequest(trail: VerifyTrail, answer: Answer): void {
  const id = answer.headers['x-request-id'];
  if (typeof id === 'string') trail.requestIds.add(id);
}

/** Six wrong logins: five 401 then 429 with Retry-After (SPEC §3 brute_force). */
export async function checkBruteForce(
  base: URL,
  localAddress?: string,
  trail: VerifyTrail = emptyTrail(),
): Promise<VerifyCheck> {
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
      noteRequest(trail, last);
      statuses.push(last.status);
    }
  } finally {
    agent.destroy();
  }
  if (statuses.includes(429)) trail.blockedChecks += 1;
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
export async function checkBotActivity(
  base: URL,
  localAddress?: string,
  trail: VerifyTrail = emptyTrail(),
): Promise<VerifyCheck> {
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
    for (const answer of answers) {
      noteRequest(trail, answer);
      if (answer.status === 201) {
        const id = (JSON.parse(answer.body) as { user?: { id?: unknown } }).user?.id;
        if (typeof id === 'string') trail.userIds.push(id);
      }
    }
    const limited = answers.filter((a) => a.status === 429);
    if (limited.length > 0) trail.blockedChecks += 1;
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

interface AuditEventView {
  readonly ip: string | null;
  readonly requestId: string | null;
  readonly details: { readonly action?: unknown };
}

// The blocks this run caused, found by request id in the audit log (written within ~250 ms).
async function findCausedBlocks(
  base: URL,
  auth: Record<string, string>,
  trail: VerifyTrail,
): Promise<Set<string>> {
  const ips = new Set<string>();
  for (let round = 0; round < 20 && ips.size < trail.blockedChecks; round += 1) {
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, 250));
    for (const type of ['brute_force', 'bot_activity']) {
      const url = new URL(`/api/admin/events?type=${type}&limit=200`, base);
      const answer = await send(url, 'GET', undefined, auth);
      if (answer.status !== 200) throw new Error(`admin events answered ${answer.status}`);
      const page = JSON.parse(answer.body) as { events?: AuditEventView[] };
      for (const event of page.events ?? []) {
        const isOurs = event.requestId !== null && trail.requestIds.has(event.requestId);
        if (isOurs && event.details.action === 'block' && event.ip) ips.add(event.ip);
      }
    }
  }
  return ips;
}

/**
 * Removes what the run created: its accounts (sessions revoked) and the IP blocks it caused.
 * Without an admin token it removes nothing and says what it left.
 */
export async function cleanUpAfterVerify(
  base: URL,
  trail: VerifyTrail,
  options: VerifyOptions = {},
): Promise<VerifyCheck> {
  const name = 'cleanup: accounts and blocks this run created';
  if (!options.adminToken) {
    const sources = options.sourceAddresses;
    const addresses = [sources?.bruteForce, sources?.bot].filter((a) => a !== undefined);
    const where = addresses.length > 0 ? ` (${addresses.join(', ')})` : " (this client's IP)";
    return {
      name,
      ok: null,
      detail: `left behind: ${trail.userIds.length} verify-bot-* accounts and ${trail.blockedChecks} IP blocks${where}; pass --admin-token or FLUX_AUTH_ADMIN_TOKEN to remove them, or run flux-auth unblock <ip>`,
    };
  }
  const auth = { authorization: `Bearer ${options.adminToken}` };
  const ips = await findCausedBlocks(base, auth, trail);
  const problems: string[] = [];
  for (const ip of ips) {
    const answer = await send(
      new URL(`/api/admin/blocks/${encodeURIComponent(ip)}`, base),
      'DELETE',
      undefined,
      auth,
    );
    if (answer.status !== 204 && answer.status !== 404)
      problems.push(`unblock ${ip}: ${answer.status}`);
  }
  if (ips.size < trail.blockedChecks)
    problems.push(`${trail.blockedChecks - ips.size} block(s) not found`);
  let removed = 0;
  for (const id of trail.userIds) {
    const url = new URL(`/api/admin/users/${encodeURIComponent(id)}`, base);
    const answer = await send(url, 'DELETE', undefined, auth);
    if (answer.status === 204 || answer.status === 404) removed += 1;
    else problems.push(`delete account ${id}: ${answer.status}`);
  }
  const done = `removed ${removed} verify-bot-* accounts and ${ips.size} IP blocks${ips.size ? ` (${[...ips].join(', ')})` : ''}`;
  return {
    name,
    ok: problems.length === 0,
    detail: problems.length === 0 ? done : `${done}; failed: ${problems.slice(0, 3).join('; ')}`,
  };
}

/** Runs every check against `base` in order, then cleans up; a network failure fails a check. */
export async function verifyInstance(
  base: URL,
  options: VerifyOptions = {},
): Promise<VerifyCheck[]> {
  const checks: VerifyCheck[] = [];
  const trail = emptyTrail();
  const attempts: [string, () => Promise<VerifyCheck>][] = [
    ['brute_force', () => checkBruteForce(base, options.sourceAddresses?.bruteForce, trail)],
    ['bot_activity', () => checkBotActivity(base, options.sourceAddresses?.bot, trail)],
    ['suspicious_user_agent', () => checkSuspiciousAgent(base, options.adminToken)],
    ['cleanup', () => cleanUpAfterVerify(base, trail, options)],
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
