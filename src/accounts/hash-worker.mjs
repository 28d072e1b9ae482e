// Piscina worker for PasswordHasher: runs argon2id / bcrypt synchronously on its own thread.
// Plain ESM JavaScript on purpose: worker threads do not inherit tsx's loader, and this file
// imports nothing of ours, so it loads the same under tsx, vitest and plain node.
import { hashSync, verifySync } from '@node-rs/argon2';
import bcrypt from 'bcrypt';

/**
 * @param {{ op: 'hash', password: string, options: object }
 *   | { op: 'verify', hash: string, password: string }
 *   | { op: 'bcrypt', hash: string, password: string }} task
 * @returns {string | boolean}
 */
export default function run(task) {
  switch (task.op) {
    case 'hash':
      return hashSync(task.password, task.options);
    case 'verify':
      try {
        return verifySync(task.hash, task.password);
      } catch {
        return false;
      }
    case 'bcrypt':
      try {
        return bcrypt.compareSync(task.password, task.hash);
      } catch {
        return false;
      }
    default:
      throw new TypeError(`unknown hash task ${String(task.op)}`);
  }
}
