import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ: /proc reports CPU time in these ticks; 100 on every mainstream Linux build.
const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU seconds a process has used so far (Linux /proc); NaN elsewhere. */
export function processCpuSeconds(pid: number, statPath = `/proc/${pid}/stat`): number {
  try {
    const stat = readFileSync(statPath, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** User + system CPU seconds of each thread of a process so far, by thread id (Linux /proc). */
export function threadCpuSeconds(pid: number): Map<number, number> {
  const threads = new Map<number, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    const seconds = processCpuSeconds(Number(tid), `/proc/${pid}/task/${tid}/stat`);
    if (Number.isFinite(seconds)) threads.set(Number(tid), seconds);
  }
  return threads;
}

/** CPU seconds each thread used between two {@link threadCpuSeconds} snapshots, added to `into`. */
export function addThreadDeltas(
  into: Map<number, number>,
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
): void {
  for (const [tid, seconds] of after) {
    into.set(tid, (into.get(tid) ?? 0) + seconds - (before.get(tid) ?? 0));
  }
}
