import { type Detector, parseBlockTarget } from './detection/index.ts';
import { ValidationError } from './errors.ts';
import { operatorActionEvent, type SecurityEventBus } from './events/index.ts';
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

/**
 * Manual block and unblock through the detector, for the admin API and the CLI alike: one
 * check of the address (ValidationError naming `ip`), and each action is an audit event
 * naming its actor.
 */
export function createBlocksAdapter(
  detector: Detector,
  bus: SecurityEventBus,
  clock: () => number,
  ipv6PrefixLength: () => number,
): BlocksPort {
  const targetOf = (text: string): string => {
    const target = parseBlockTarget(text, ipv6PrefixLength());
    if (!target.ok) throw new ValidationError('ip', `Invalid field "ip": ${target.problem}`);
    return target.ip;
  };
  return {
    list: async () => (await detector.listBlocks()).map(toBlockView),
    block: async ({ ip, reason, durationSeconds, actor }) => {
      const record = await detector.blockIp(targetOf(ip), { reason, durationSeconds });
      const details = { reason, durationSeconds };
      bus.publish(
        operatorActionEvent({
          type: 'ip_blocked_manually',
          at: clock(),
          actor,
          ip: record.ipKey,
          details,
        }),
      );
      return toBlockView(record);
    },
    unblock: async (ip, actor) => {
      const target = targetOf(ip);
      const removed = await detector.unblockIp(target);
      if (removed) {
        const ipKey = detector.clientKey(target);
        bus.publish(
          operatorActionEvent({
            type: 'ip_unblocked_manually',
            at: clock(),
            actor,
            ip: ipKey,
            details: {},
          }),
        );
      }
      return removed;
    },
  };
}
