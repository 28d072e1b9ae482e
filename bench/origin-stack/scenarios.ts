import { type Addresses, BoundClient } from './client.ts';
import type { Account, Stack } from './workloads.ts';

/** One FIELD-NOTES scenario's outcome on one stack. */
export interface ScenarioResult {
  readonly name: string;
  readonly holds: boolean;
  readonly detail: string;
}

const WRONG = 'wrong password guess';

async function sequence(
  client: BoundClient,
  steps: ReadonlyArray<{ account: Account; isCorrect: boolean; headers?: Record<string, string> }>,
): Promise<number[]> {
  const statuses: number[] = [];
  for (const step of steps) {
    const body = {
      email: step.account.email,
      password: step.isCorrect ? step.account.password : WRONG,
    };
    statuses.push((await client.post('/api/auth/login', body, step.headers)).status);
  }
  return statuses;
}

/**
 * The attack scenarios of FIELD-NOTES.md, each from a fresh client address against a victim
 * account of its own (so that no per-account protection carries over), each judged by what
 * SPEC §3 requires. Needs 6 accounts on the stack: five victims and the attacker's own.
 */
export async function runScenarios(stack: Stack, addresses: Addresses): Promise<ScenarioResult[]> {
  const accounts = [...stack.accounts];
  const own = accounts.pop() as Account;
  let victim: Account = own;
  const results: ScenarioResult[] = [];
  const fresh = () => {
    victim = (accounts.shift() ?? victim) as Account;
    return new BoundClient(stack.url, addresses.next());
  };
  const wrong = (n: number, headers?: (i: number) => Record<string, string>) =>
    Array.from({ length: n }, (_, i) => ({
      account: victim,
      isCorrect: false,
      ...(headers ? { headers: headers(i) } : {}),
    }));

  let client = fresh();
  const six = await sequence(client, wrong(6));
  client.close();
  results.push({
    name: 'six sequential wrong logins: 5 × 401, then 429',
    holds: six.join() === '401,401,401,401,401,429',
    detail: six.join(' '),
  });

  victim = accounts.shift() as Account;
  client = new BoundClient(stack.url, addresses.next(), 100);
  const burst = await Promise.all(
    Array.from({ length: 1000 }, () =>
      client
        .post('/api/auth/login', { email: victim.email, password: WRONG })
        .then((a) => a.status),
    ),
  );
  client.close();
  const checked = burst.filter((s) => s === 401).length;
  results.push({
    name: '1,000 concurrent wrong logins from one IP: at most 5 reach the password check',
    holds: checked <= 5,
    detail: `${checked} × 401, ${burst.filter((s) => s === 429).length} × 429`,
  });

  client = fresh();
  const rotated = await sequence(
    client,
    wrong(8, (i) => ({ 'x-forwarded-for': `203.0.113.${i + 1}` })),
  );
  client.close();
  results.push({
    name: 'rotating X-Forwarded-For does not move the key (blocked by the 6th)',
    holds: rotated.slice(5).every((s) => s === 429),
    detail: rotated.join(' '),
  });

  client = fresh();
  const typos = await sequence(client, [
    ...wrong(4),
    { account: victim, isCorrect: true },
    ...wrong(2),
  ]);
  client.close();
  results.push({
    name: 'typos then a success: the success clears them (4 wrong, ok, 2 wrong: no 429)',
    holds: !typos.includes(429) && typos[4] === 200,
    detail: typos.join(' '),
  });

  client = fresh();
  const reset = await sequence(client, [
    ...wrong(4),
    { account: own, isCorrect: true },
    ...wrong(2),
  ]);
  client.close();
  results.push({
    name: "an attacker's own success does not clear the failures on the victim (6th wrong: 429)",
    holds: reset[6] === 429,
    detail: reset.join(' '),
  });
  return results;
}
