import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/attack-redis-server.ts';
import {
  cspViolations,
  launchChromium,
  type PageProblems,
  seriousA11yViolations,
  watchPage,
} from '../helpers/browser.ts';
import { openPostgresTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { readJson } from '../helpers/json.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

/** Page state arrives through the page's own requests: on a busy CI host, seconds late. */
const POLL = { timeout: 30_000 };

// Screenshots of every page, kept as test artefacts (gitignored).
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'dashboard');
const ADMIN = { email: 'ops@example.com', password: 'ops passphrase 2026' };
const PLAIN = { email: 'member@example.com', password: 'member passphrase 2026' };
const ATTACKER_IP = '203.0.113.50';
const WIDTHS = [1280, 390] as const;
const SCENARIO_TIMEOUT_MS = 240_000;

describe('admin dashboard in Chromium', () => {
  let db: TestDatabase;
  let service: TestService;
  let browser: Browser;
  let now = Date.now();

  const login = (body: unknown, ip: string) =>
    fetch(`${service.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify(body),
    });

  const signIn = async (page: Page, who: { email: string; password: string }) => {
    await page.goto(`${service.url}/admin/`);
    await page.getByLabel('E-mail').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  const open = async (context: BrowserContext) => {
    const page = await context.newPage();
    const problems = await watchPage(page);
    return { page, problems };
  };

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    db = await openPostgresTestDatabase();
    // The browser and the attacker reach the service from 127.0.0.1, a trusted proxy: the
    // attacker's X-Forwarded-For names its IP, the browser (no header) is 127.0.0.1.
    service = await createTestService(db.handle, {
      clock: () => now,
      env: { TRUST_PROXY: '127.0.0.1/32', ADMIN_SESSION_IDLE_MINUTES: '15' },
    });
    await service.listen();
    for (const [who, name] of [
      [ADMIN, 'Ops'],
      [PLAIN, 'Member'],
    ] as const) {
      const res = await fetch(`${service.url}/api/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.1' },
        body: JSON.stringify({ ...who, name }),
      });
      expect(res.status).toBe(201);
    }
    await service.services.accounts.setRole(ADMIN.email, 'admin');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
    await db?.cleanup();
  });

  it(
    'admin signs in, sees a brute-force block with its evidence, unblocks it, and the feed shows both',
    async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const { page, problems } = await open(context);
      await signIn(page, ADMIN);
      await expect
        .poll(() => page.getByRole('heading', { name: 'Overview' }).count(), POLL)
        .toBe(1);

      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1)
        statuses.push(
          (await login({ email: PLAIN.email, password: `guess ${i}` }, ATTACKER_IP)).status,
        );
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);

      await page.goto(`${service.url}/admin/#/blocks`);
      const row = page.locator(`tr[data-ip="${ATTACKER_IP}"]`);
      await row.waitFor();
      expect(await row.textContent()).toContain('brute_force');
      expect(await row.locator('td.evidence').textContent()).toMatch(/limit: 5/);

      await row.getByRole('button', { name: `Unblock ${ATTACKER_IP}` }).click();
      await page.getByText(`Unblocked ${ATTACKER_IP}.`).waitFor();
      await expect.poll(() => page.locator(`tr[data-ip="${ATTACKER_IP}"]`).count(), POLL).toBe(0);

      const next = await login(PLAIN, ATTACKER_IP);
      expect(next.status).toBe(200);
      expect((await readJson(next)).accessToken).toEqual(expect.any(String));

      await service.services.audit.flush();
      await page.goto(`${service.url}/admin/#/events`);
      // Both arrive through the page's own loads or its live refresh, never a reload here.
      await page.locator('tr[data-type="brute_force"]').first().waitFor();
      await page.locator('tr[data-type="ip_unblocked_manually"]').first().waitFor();
      const unblocked = page.locator('tr[data-type="ip_unblocked_manually"]').first();
      expect(await unblocked.textContent()).toContain(ATTACKER_IP);

      // Live refresh: an event recorded now shows up in the open feed without a reload.
      await page.evaluate('globalThis.__sameDocument = true');
      await service.services.blocks.block({
        ip: '192.0.2.200',
        reason: 'live refresh check',
        durationSeconds: 600,
        actor: { kind: 'cli', osUser: 'test' },
      });
      await service.services.audit.flush();
      await page
        .locator('tr[data-type="ip_blocked_manually"]', { hasText: '192.0.2.200' })
        .waitFor({ timeout: 30_000 });
      expect(await page.evaluate('globalThis.__sameDocument')).toBe(true);

      // The overview's charts count what just happened (from GET /api/admin/stats).
      await page.goto(`${service.url}/admin/#/overview`);
      await expect.poll(() => page.locator('figure.chart canvas').count(), POLL).toBe(2);
      const legend = await page.locator('figure.chart').first().locator('.legend').textContent();
      expect(legend).toMatch(/Blocks: [1-9]/);
      // The top-offenders table comes from its own request, which may land after the charts.
      await expect
        .poll(() => page.locator('table', { hasText: ATTACKER_IP }).count(), POLL)
        .toBe(1);

      for (const [name, hash] of [
        ['overview', '#/overview'],
        ['blocks', '#/blocks'],
        ['events', '#/events'],
        ['ip-detail', `#/ip/${ATTACKER_IP}`],
        ['policy', '#/policy'],
      ] as const) {
        for (const width of WIDTHS) {
          await page.setViewportSize({ width, height: 900 });
          await page.goto(`${service.url}/admin/${hash}`);
          await page.locator('main h1').waitFor();
          await page.waitForLoadState('networkidle');
          await page.screenshot({ path: join(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
          const overflow = Number(
            await page.evaluate(
              'document.documentElement.scrollWidth - document.documentElement.clientWidth',
            ),
          );
          expect(overflow, `${name} at ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
          expect(await seriousA11yViolations(page), `${name} at ${width}px`).toEqual([]);
        }
      }
      // The IP page shows the reputation of GET /api/admin/ips/:ip, score included.
      const view = await service.services.ips.describe(ATTACKER_IP);
      await page.goto(`${service.url}/admin/#/ip/${ATTACKER_IP}`);
      const reputation = page.locator('section', {
        has: page.getByRole('heading', { name: 'Reputation' }),
      });
      await reputation.waitFor();
      const shown = await reputation.locator('dt', { hasText: /^score$/ }).locator('xpath=..');
      expect(await shown.locator('dd').textContent()).toBe(String(view.reputation.score));
      expect(await reputation.textContent()).toContain('level');

      expect(await cspViolations(page)).toEqual([]);
      expectClean(problems);
      await context.close();
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'policy page validates a pasted policy and shows the backtest of it over the last day',
    async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const { page, problems } = await open(context);
      await signIn(page, ADMIN);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.goto(`${service.url}/admin/#/policy`);
      await page.getByText('"brute_force"').first().waitFor();
      const box = page.getByLabel('Policy (JSON)');
      await box.fill('{"rules": {"brute_force": {"limit": -1}}}');
      await page.getByRole('button', { name: 'Validate' }).click();
      await page.getByText('rules.brute_force.limit').waitFor();
      await box.fill('{"rules": {"brute_force": {"limit": 3}}}');
      await page.getByRole('button', { name: 'Validate' }).click();
      await page.getByText('The policy is valid.').waitFor();
      await page.getByRole('button', { name: 'Backtest over the last day' }).click();
      await page.getByRole('heading', { name: 'What the new policy would have done' }).waitFor();
      await page.getByText('blocksAdded').first().waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'policy-validated-1280.png'), fullPage: true });
      expect(await cspViolations(page)).toEqual([]);
      expectClean(problems);
      await context.close();
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'pages the feed by cursor: "Older events" appends the next page without repeats',
    async () => {
      const rows = Array.from({ length: 120 }, (_, i) => ({
        id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        created_at: now - 3_600_000 + i,
        type: 'suspicious_user_agent',
        severity: 'low' as const,
        ip: '198.51.100.120',
        user_id: null,
        user_agent: 'curl/8',
        rule: 'suspicious_user_agent',
        details: '{}',
        request_id: null,
      }));
      await service.services.database.db.insertInto('security_events').values(rows).execute();
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const { page, problems } = await open(context);
      await signIn(page, ADMIN);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      // Let the overview's own loads end first: once, in a full suite on a busy machine, the
      // events page's filter never showed within 30 s after a jump made while they were in flight.
      await page.waitForLoadState('networkidle');
      await page.goto(`${service.url}/admin/#/events`);
      await page.getByRole('heading', { name: 'Events' }).waitFor();
      await page.getByLabel('IP', { exact: true }).fill('198.51.100.120');
      await page.getByRole('button', { name: 'Apply' }).click();
      const shown = page.locator('table.events tbody tr');
      await expect.poll(() => shown.count(), POLL).toBe(50);
      await page.getByRole('button', { name: 'Older events' }).click();
      await expect.poll(() => shown.count(), POLL).toBe(100);
      await page.getByRole('button', { name: 'Older events' }).click();
      await expect.poll(() => shown.count(), POLL).toBe(120);
      expect(await page.getByRole('button', { name: 'Older events' }).count()).toBe(0);
      const times = await shown.locator('td:first-child').allTextContents();
      expect(times).toHaveLength(120);
      expectClean(problems);
      await context.close();
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'refuses a non-admin with a clear page and no data',
    async () => {
      const context = await browser.newContext();
      const { page, problems } = await open(context);
      await signIn(page, PLAIN);
      await page.getByText('Access refused: this account is not an admin').waitFor();
      expect(await page.locator('nav, table').count()).toBe(0);
      expect((await context.cookies()).map((c) => c.name)).not.toContain('flux_admin_session');
      await page.screenshot({ path: join(ARTIFACTS, 'refused-non-admin.png') });
      // The refused sign-in is the only failed request the page made.
      expect(problems.consoleErrors).toEqual([expect.stringMatching(/status of 403/)]);
      expect(problems.pageErrors).toEqual([]);
      await context.close();
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'refuses a forged CSRF request, and an expired session with a clear page',
    async () => {
      const context = await browser.newContext();
      const { page, problems } = await open(context);
      await signIn(page, ADMIN);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      const cookie = (await context.cookies()).find((c) => c.name === 'flux_admin_session');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/admin' });

      // A request carrying the cookie but not the session's token: what a forger can send.
      const forged = await page.evaluate(async () => {
        const res = await fetch('/api/admin/blocks', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': 'forged-token' },
          body: JSON.stringify({ ip: '198.51.100.99', reason: 'forged', durationSeconds: 600 }),
        });
        return { status: res.status, body: (await res.json()) as { error?: string } };
      });
      expect(forged.status).toBe(403);
      expect(forged.body.error).toMatch(/CSRF/);
      const blocks = await service.services.blocks.list();
      expect(blocks.map((b) => b.ip)).not.toContain('198.51.100.99');

      // The overview's own loads must be over before the clock jumps: on a busy machine one
      // still in flight got the 401 first and replaced the page under the click.
      await page.waitForLoadState('networkidle');
      now += 16 * 60_000;
      await page.getByRole('link', { name: 'Blocks' }).click();
      await page.getByText('Your session has ended').waitFor();
      expect(await page.locator('table').count()).toBe(0);
      await page.screenshot({ path: join(ARTIFACTS, 'refused-expired.png') });
      expect(problems.consoleErrors.every((e) => /status of (401|403)/.test(e))).toBe(true);
      expect(problems.pageErrors).toEqual([]);
      expect(await cspViolations(page)).toEqual([]);
      await context.close();
    },
    SCENARIO_TIMEOUT_MS,
  );
});

describe('admin dashboard with the detection store degraded', () => {
  let db: TestDatabase;
  let service: TestService;
  let browser: Browser;

  beforeAll(async () => {
    db = await openPostgresTestDatabase();
    // Nothing listens on this port: detection starts on its in-process fallback, degraded.
    const deadRedis = `redis://127.0.0.1:${await freePort()}`;
    service = await createTestService(db.handle, { env: { REDIS_URL: deadRedis } });
    await service.listen();
    await fetch(`${service.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ADMIN, name: 'Ops' }),
    });
    await service.services.accounts.setRole(ADMIN.email, 'admin');
    browser = await launchChromium();
  }, SCENARIO_TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    await service?.close();
    await db?.cleanup();
  });

  it(
    'shows a red banner on the overview naming the degraded store',
    async () => {
      const page = await browser.newPage();
      const problems = await watchPage(page);
      await page.goto(`${service.url}/admin/`);
      await page.getByLabel('E-mail').fill(ADMIN.email);
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const banner = page.locator('p.banner.degraded[role="alert"]');
      await banner.waitFor();
      expect(await banner.textContent()).toMatch(/Detection store: DEGRADED \(redis unreachable/);
      await page.screenshot({ path: join(ARTIFACTS, 'overview-degraded-1280.png') });
      expect(await seriousA11yViolations(page)).toEqual([]);
      expectClean(problems);
    },
    SCENARIO_TIMEOUT_MS,
  );
});

function expectClean(problems: PageProblems): void {
  expect(problems.consoleErrors).toEqual([]);
  expect(problems.pageErrors).toEqual([]);
}
