export { isConnectionError } from './connection-errors.ts';
export {
  createDatabase,
  type DatabaseHandle,
  type DatabaseOptions,
  DEFAULT_CONNECT_TIMEOUT_MS,
} from './create-database.ts';
export { isDataError } from './data-errors.ts';
export {
  DatabaseAvailability,
  type DatabaseAvailabilityOptions,
  type RecoveryInfo,
} from './database-availability.ts';
export { withAvailability } from './guarded-dialect.ts';
export {
  createMigrator,
  listPendingMigrations,
  migrateToLatest,
  REFRESH_TOKEN_KEY_NAME,
} from './migrations.ts';
export type * from './types.ts';
