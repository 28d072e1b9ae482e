/** Public surface of the counter store: the interface, its memory and Redis kinds. */
export type {
  AccountGuardLimits,
  AccountPrecheckInput,
  AccountPrecheckResult,
  AccountRecordInput,
  AccountRecordResult,
  BlockEvidence,
  BlockRecord,
  CounterStore,
  IpCounters,
  IpPeekInput,
  IpPrecheckInput,
  IpPrecheckResult,
  IpRecordInput,
  IpRecordResult,
  IpRuleLimits,
  IpRuleName,
  LastLogin,
  RefreshCountInput,
  ReputationInput,
  ReputationReason,
  ReputationScore,
  ReputationStore,
  SetBlockInput,
  SlotOutcome,
} from './counter-store.ts';
export { DEFAULT_PENDING_TTL_MS, MAX_REPUTATION_REASONS } from './counter-store.ts';
export { FleetHeartbeat, type FleetHeartbeatOptions } from './fleet-heartbeat.ts';
export { MemoryCounterStore, type MemoryCounterStoreOptions } from './memory-counter-store.ts';
export {
  authOptionsFromUrl,
  type ClusterUrlOptions,
  clusterOptionsFromUrl,
  createRedisClient,
  pingRedis,
  type RedisAuthOptions,
  type RedisClient,
  type RedisClientOptions,
  waitForRedisReady,
} from './redis-client.ts';
export { RedisCounterStore, type RedisCounterStoreOptions } from './redis-counter-store.ts';
export { BLOCK_REASONS } from './rule-thresholds.ts';
