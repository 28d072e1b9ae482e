import type { Detector } from './detection/index.ts';
import {
  defaultSeverity,
  type SecurityEventBus,
  type SecurityEventDetails,
} from './events/index.ts';
import type { BlocksPort, BlockView } from './http/routes/admin-routes.ts';
import type { BlockRecord } from './store/index.ts';

/** Shows a stored block to the admin API (times as ISO 8601). */
export function toBlockView(record: BlockRecord): BlockView {
  return {
    ip: record.ipKey,
    rule: record.rule,
    evidence: { ...record.evidence, reason: record.reason },
    createdAt: new Date(record.createdAt).toISOString(),
    expiresAt: new Date(record.expiresAt).toISOString(),
    manual: record.manual,
  };
}

/** Manual block and unblock through the detector; each action is itself a security event. */
export function createBlocksAdapter(
  detector: Detector,
  bus: SecurityEventBus,
  clock: () => number,
): BlocksPort {
  const publish = <T extends 'ip_blocked_manually' | 'ip_unblocked_manually'>(
    type: T,
    ip: string,
    by: string,
    details: SecurityEventDetails[T],
  ) =>
    bus.publish<T>({
      type,
      severity: defaultSeverity(type),
      at: clock(),
      ip,
      userId: by || null,
      userAgent: null,
      rule: 'manual',
      requestId: null,
      details,
    });
  return {
    list: async () => (await detector.listBlocks()).map(toBlockView),
    block: async ({ ip, reason, durationSeconds, by }) => {
      const record = await detector.blockIp(ip, { reason, durationSeconds });
      publish('ip_blocked_manually', record.ipKey, by, { reason, durationSeconds });
      return toBlockView(record);
    },
    unblock: async (ip) => {
      const removed = await detector.unblockIp(ip);
      if (removed) publish('ip_unblocked_manually', detector.clientKey(ip), '', {});
      return removed;
    },
  };
}
