import type { Kysely } from 'kysely';
import { listEvents } from './audit/index.ts';
import type { Database } from './db/index.ts';
import { type Detector, parseBlockTarget } from './detection/index.ts';
import { toBlockView } from './detection-blocks.ts';
import { ValidationError } from './errors.ts';
import type { GeoLocator } from './geo/index.ts';
import type { IpsPort, IpView } from './http/routes/admin-routes.ts';

/** How many of the IP's latest audit events the view shows. */
const LAST_EVENTS = 10;

/**
 * What is known about one IP, for `GET /api/admin/ips/:ip` and `flux-auth ip <addr>` alike:
 * its reputation score and the events that made it, its current counters, its active block,
 * its latest audit events.
 * `geo`: where the GeoIP data places the address (null when private, unknown or no locator).
 */
export function createIpsAdapter(
  detector: Detector,
  db: Kysely<Database>,
  ipv6PrefixLength: () => number,
  locate: GeoLocator | null = null,
): IpsPort {
  return {
    describe: async (text: string): Promise<IpView> => {
      const target = parseBlockTarget(text, ipv6PrefixLength());
      if (!target.ok) throw new ValidationError('ip', `Invalid field "ip": ${target.problem}`);
      const ip = target.ip;
      const [reputation, counters, block, page] = await Promise.all([
        detector.reputationOf(ip),
        detector.countersOf(ip),
        detector.blockOf(ip),
        listEvents(db, { ip, limit: LAST_EVENTS }),
      ]);
      return {
        ip,
        ipKey: reputation.ipKey,
        reputation: {
          score: reputation.score,
          level: reputation.level,
          listed: reputation.listed,
          mode: reputation.mode,
          reasons: reputation.reasons.map((r) => ({
            type: r.type,
            points: r.points,
            at: new Date(r.at).toISOString(),
          })),
        },
        counters,
        block: block === null ? null : toBlockView(block),
        lastEvents: [...page.events],
        geo: locate?.(ip) ?? null,
      };
    },
  };
}
