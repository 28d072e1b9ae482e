import { availableParallelism } from 'node:os';

/** The hashing-related settings the server will run with, for printing next to results. */
export function hashSettingsLine(): string {
  const cpus = availableParallelism();
  const inFlight = process.env.HASH_MAX_IN_FLIGHT ?? `${cpus + 1} (default = CPUs + 1)`;
  const pool = process.env.UV_THREADPOOL_SIZE ?? '4 (libuv default; hashes run on worker threads)';
  const queued = process.env.HASH_MAX_QUEUED ?? '512 (default)';
  return `settings: CPUs ${cpus}, HASH_MAX_IN_FLIGHT ${inFlight} worker threads, HASH_MAX_QUEUED ${queued}, UV_THREADPOOL_SIZE ${pool}`;
}

/** Reads a positive number from the environment (bench knobs), else `fallback`. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}
