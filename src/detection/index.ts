/** Public surface of detection: the detector, its policy, client keys and the rules' texts. */
export { hashAccount } from './account-key.ts';
export {
  type Attempt,
  type AuthRoute,
  type Decision,
  isCredentialRoute,
  type Outcome,
  type RateQuota,
  type Refusal,
  type Ticket,
} from './attempt.ts';
export { type BlockTargetResult, parseBlockTarget } from './block-target.ts';
export {
  type CidrList,
  DEFAULT_IPV6_PREFIX_LENGTH,
  isValidCidr,
  matchesCidr,
  parseCidrList,
  parseIp,
  toClientKey,
  UNKNOWN_CLIENT_KEY,
} from './client-ip.ts';
export {
  createDetectionStore,
  type DetectionStore,
  type DetectionStoreOptions,
} from './create-detection-store.ts';
export {
  createDetector,
  type Detector,
  type DetectorOptions,
  type IpReputation,
} from './detector.ts';
export { FleetShareStore, fleetShare } from './fleet-share-store.ts';
export {
  loadPolicyFile,
  PolicyFileError,
  parsePolicyText,
  type WatchPolicyOptions,
  watchPolicy,
} from './load-policy.ts';
export {
  type AccountGuardPolicy,
  type BlockingRulePolicy,
  DEFAULT_POLICY,
  type DetectionPolicy,
  type PolicyParseResult,
  parsePolicy,
  type ReputationPolicy,
  type RuleMode,
  type WindowRulePolicy,
} from './policy.ts';
export {
  type RedisHealth,
  RedisHealthProbe,
  type RedisHealthProbeOptions,
} from './redis-health-probe.ts';
export {
  type ReputationLevel,
  ReputationTracker,
} from './reputation/reputation-tracker.ts';
export { parseNetset, SeedLists, type SeedListsOptions } from './reputation/seed-lists.ts';
export { ResilientCounterStore } from './resilient-store.ts';
export type {
  ResilientStoreOptions,
  StoreCallObserver,
  StoreCallOutcome,
  StoreStatus,
} from './resilient-store-options.ts';
export { ACCOUNT_THROTTLED_MESSAGE } from './rules/account-guard.ts';
export type { GeoLocator, GeoPlace } from './rules/account-takeover.ts';
export { IP_BLOCKED_MESSAGE } from './rules/active-block.ts';
export { LOGIN_BOT_MESSAGE, SIGNUP_BOT_MESSAGE } from './rules/bot-activity.ts';
export { BRUTE_FORCE_MESSAGE } from './rules/brute-force.ts';
export {
  classifyUserAgent,
  MAX_USER_AGENT_LENGTH,
  sanitizeUserAgent,
} from './rules/suspicious-user-agent.ts';
export type { BlockCode, BlockVerdict } from './rules/verdict.ts';
export { SilenceWatch } from './silence-watch.ts';
