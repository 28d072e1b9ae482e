import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * TCP ports a process listens on, from /proc (Linux): its socket inodes matched against the
 * LISTEN entries of /proc/net/tcp and tcp6. Sorted ascending.
 */
export function listeningPortsOf(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // closed while we looked
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is field 1 (HEX_IP:HEX_PORT), st field 3 (0A = LISTEN), inode field 9.
      const [local, state, inode] = [fields[1], fields[3], fields[9]];
      if (state !== '0A' || inode === undefined || !inodes.has(inode)) continue;
      ports.add(Number.parseInt(local?.split(':')[1] ?? '', 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}
