import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

// The metadata section starts after this marker, within the last 128 KiB of the file.
const METADATA_MARKER = Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1');
const METADATA_MAX_BYTES = 128 * 1024;

/**
 * Checks that `path` is a readable MaxMind DB file (finds its metadata marker). Returns null
 * when it is, else a plain reason ("no such file", "not an MMDB file"). Synchronous: for startup.
 */
export function checkMmdbFile(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES') return 'not readable (permission denied)';
    if (code === 'EISDIR') return 'is a directory, not a file';
    return `cannot be opened (${String(code)})`;
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return 'is a directory, not a file';
    const size = stat.size;
    if (size === 0) return 'is empty, not an MMDB file';
    const length = Math.min(size, METADATA_MAX_BYTES);
    const tail = Buffer.alloc(length);
    readSync(fd, tail, 0, length, size - length);
    return tail.lastIndexOf(METADATA_MARKER) === -1 ? 'not an MMDB (MaxMind DB) file' : null;
  } catch {
    return 'cannot be read';
  } finally {
    closeSync(fd);
  }
}
