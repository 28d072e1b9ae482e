import { randomUUID } from 'node:crypto';
import type { Attempt, AuthRoute, Decision, Ticket } from '../../src/detection/index.ts';
import { type SecurityEvent, SecurityEventBus } from '../../src/events/index.ts';

/** A settable clock starting at a fixed epoch ms. */
export function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** A bus that keeps every published event (listeners run on a microtask). */
export function recordingBus() {
  const bus = new SecurityEventBus();
  const events: SecurityEvent[] = [];
  bus.subscribe((event) => {
    events.push(event);
  });
  return { bus, events, flush: () => new Promise<void>((resolve) => setImmediate(resolve)) };
}

/** A login/signup/token attempt with defaults. */
export function attempt(
  route: AuthRoute,
  now: number,
  extra: Partial<Omit<Attempt, 'route' | 'now'>> = {},
): Attempt {
  return {
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
    route,
    account: route === 'login' || route === 'signup' ? 'alice@example.com' : undefined,
    requestId: randomUUID(),
    now,
    ...extra,
  };
}

/** The ticket of an allow, or throws with the refusal. */
export function ticketOf(decision: Decision): Ticket {
  if (decision.action !== 'allow') throw new Error(`expected allow, got ${decision.message}`);
  return decision.ticket;
}
