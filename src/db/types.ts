import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** A user account. Times are Unix epoch milliseconds. */
export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  role: 'user' | 'admin';
  created_at: number;
  updated_at: number;
}

/** One refresh token, stored only as its SHA-256 hash. Times are epoch milliseconds. */
export interface RefreshTokensTable {
  id: string;
  user_id: string;
  family_id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  /** Set when this token was exchanged for a new one. */
  rotated_at: number | null;
  /** Set when the token (or its family) was revoked. */
  revoked_at: number | null;
  replaced_by: string | null;
}

/**
 * Secrets the service keeps for itself, created by a migration and shared by every instance.
 * `refresh_token_mac` keys the tag on refresh tokens; from `legacy_until` on, an untagged token
 * (issued before the tag existed) is refused, though the service may extend it (see
 * loadRefreshTokenSeal); null: the database had no users, so no untagged token is accepted.
 */
export interface ServiceKeysTable {
  name: string;
  secret: string;
  created_at: number;
  legacy_until: number | null;
}

/** One security event in the audit log. `details` is a JSON object encoded as text. */
export interface SecurityEventsTable {
  id: string;
  created_at: number;
  type: string;
  severity: 'info' | 'low' | 'medium' | 'high' | 'critical';
  ip: string | null;
  user_id: string | null;
  user_agent: string | null;
  rule: string | null;
  details: string;
  request_id: string | null;
}

/**
 * An IP block of the embedded mode (no Redis). `expires_at` at or before now means lifted or
 * expired; `version` is the `ip_block_versions` value of the write that last changed the row.
 */
export interface IpBlocksTable {
  ip_key: string;
  rule: string;
  reason: string;
  /** JSON object encoded as text. */
  evidence: string;
  created_at: number;
  expires_at: number;
  /** 1 for a block set by an operator, 0 for one set by a rule. */
  manual: number;
  version: number;
}

/** One row (`id` 1): the version of the latest write to `ip_blocks`. */
export interface IpBlockVersionsTable {
  id: number;
  version: number;
}

/**
 * One login attempt that reached the password check. `client_key` is the detection key (IP or
 * /64), `account_key` the account key of `hashAccount` (SHA-256 of the canonical e-mail, never the
 * address itself).
 */
export interface LoginOutcomesTable {
  occurred_at: number;
  client_key: string;
  account_key: string;
  /** `success` or `failure` (wrong password or unknown account). */
  outcome: 'success' | 'failure';
}

/** One alert message tried on one channel. `details` is a JSON object encoded as text. */
export interface AlertsTable {
  id: string;
  created_at: number;
  channel: 'email' | 'webhook';
  /** `first` (sent at once), `digest` (window summary) or `test`. */
  kind: 'first' | 'digest' | 'test';
  rule: string;
  severity: 'info' | 'low' | 'medium' | 'high' | 'critical';
  event_count: number;
  /** `sent`, `failed` (after every retry) or `dropped` (queue full or shutdown). */
  outcome: 'sent' | 'failed' | 'dropped';
  details: string;
}

/**
 * One dashboard session. `id_hash` is the SHA-256 (hex) of the cookie value, never the value.
 * Times are epoch ms: idle after `last_seen_at` + the idle timeout, over at `expires_at` anyway.
 */
export interface AdminSessionsTable {
  id_hash: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** The whole schema as Kysely sees it. */
export interface Database {
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  security_events: SecurityEventsTable;
  ip_blocks: IpBlocksTable;
  ip_block_versions: IpBlockVersionsTable;
  login_outcomes: LoginOutcomesTable;
  alerts: AlertsTable;
  admin_sessions: AdminSessionsTable;
  service_keys: ServiceKeysTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type RefreshTokenRow = Selectable<RefreshTokensTable>;
export type SecurityEventRow = Selectable<SecurityEventsTable>;
export type NewSecurityEventRow = Insertable<SecurityEventsTable>;
export type IpBlockRow = Selectable<IpBlocksTable>;
// Generated is re-exported for future auto columns.
export type { Generated };
