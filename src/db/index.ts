export { createDatabase, type DatabaseHandle, type DatabaseOptions } from './create-database.ts';
export { createMigrator, listPendingMigrations, migrateToLatest } from './migrations.ts';
export type * from './types.ts';
