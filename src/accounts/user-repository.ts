import type { Kysely } from 'kysely';
import type { Database, NewUserRow, UserRow } from '../db/index.ts';
import { EmailTakenError } from '../errors.ts';

/** A user's role. */
export type Role = UserRow['role'];

/** Users table access. Emails passed in must already be normalised. */
export class UserRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** The user with this (normalised) email, or undefined. */
  findByEmail(email: string): Promise<UserRow | undefined> {
    return this.#db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  }

  /** The user with this id, or undefined. */
  findById(id: string): Promise<UserRow | undefined> {
    return this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Inserts a user. Throws EmailTakenError when the email exists, also under a race. */
  async insert(row: NewUserRow): Promise<UserRow> {
    // ON CONFLICT DO NOTHING is one portable code path for SQLite and PostgreSQL, and
    // leaves a PostgreSQL transaction usable, unlike catching a unique violation.
    const result = await this.#db
      .insertInto('users')
      .values(row)
      .onConflict((oc) => oc.column('email').doNothing())
      .executeTakeFirst();
    if (result.numInsertedOrUpdatedRows !== 1n) throw new EmailTakenError();
    const inserted = await this.findById(row.id);
    if (!inserted) throw new Error('inserted user not found');
    return inserted;
  }

  /** Replaces a user's password hash; `now` is epoch ms. Returns false for an unknown id. */
  async updatePasswordHash(id: string, passwordHash: string, now: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Deletes the user (its refresh tokens go with it); false for an unknown id. */
  async deleteById(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows === 1n;
  }

  /** Sets the role of the user with this (normalised) email; undefined when none. */
  async setRoleByEmail(email: string, role: Role, now: number): Promise<UserRow | undefined> {
    await this.#db
      .updateTable('users')
      .set({ role, updated_at: now })
      .where('email', '=', email)
      .executeTakeFirst();
    return this.findByEmail(email);
  }
}
