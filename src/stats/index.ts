export {
  BLOCK_EVENT_TYPES,
  BUCKET_MS,
  type BucketName,
  checkStatsWindow,
  MAX_BUCKETS,
  queryStats,
  type StatsBucket,
  type StatsWindow,
  THROTTLE_EVENT_TYPES,
} from './admin-stats.ts';
export { type Overview, queryOverview } from './overview.ts';
