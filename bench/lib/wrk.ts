// wrk (C, from Debian's `wrk` package) as the load generator where the generator must leave the
// cores to the service: on this 2-core machine it costs about a quarter of what the Node
// generator in bench/origin-stack/client.ts costs per request.
import { execFile, execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One wrk run against one route. */
export interface WrkRun {
  readonly url: string;
  readonly path: string;
  /** JSON body of every request; `{{token}}` in it becomes a fresh made-up refresh token each time. */
  readonly body: string;
  readonly connections: number;
  readonly seconds: number;
  /** Requests written at once on each connection (HTTP/1.1 pipelining); 1 is plain keep-alive. */
  readonly pipeline: number;
  /** Count answers by status (wrk parses each answer in Lua: a check run, not a measurement). */
  readonly countStatuses?: boolean;
}

/** What wrk measured, with the CPU it used itself. */
export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly p99Ms: number;
  /** Responses whose status was not 2xx or 3xx. */
  readonly non2xx: number;
  readonly socketErrors: number;
  /** User + system CPU seconds of wrk itself. */
  readonly cpuSeconds: number;
  /** Answers by status, when the run counted them. */
  readonly statuses?: Record<string, number>;
}

/** Throws with the install command when wrk is missing. */
export function requireWrk(): void {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (error) {
    // wrk --version exits 1 after printing its version; only a missing binary is an error.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('wrk not found: apt-get install -y wrk');
  }
}

/** The Lua script: `pipeline` requests per write, random tokens generated per request. */
export function wrkScript(
  run: Pick<WrkRun, 'path' | 'body' | 'pipeline' | 'countStatuses'>,
): string {
  return `
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
math.randomseed(${randomInt(2 ** 31)})
local function chars(n)
  local t = {}
  for i = 1, n do local k = math.random(1, 64); t[i] = alphabet:sub(k, k) end
  return table.concat(t)
end
-- Shaped like a real refresh token (random part, dot, tag), so the service checks its tag.
local function token() return chars(43) .. "." .. chars(22) end
local body = ${JSON.stringify(run.body)}
local random = body:find("{{token}}", 1, true) ~= nil
local headers = { ["Content-Type"] = "application/json" }
local function one()
  local b = random and body:gsub("{{token}}", token) or body
  return wrk.format("POST", ${JSON.stringify(run.path)}, headers, b)
end
local fixed = nil
request = function()
  -- Built on the first call, not at load: wrk sets the Host header after loading the script.
  if fixed then return fixed end
  local t = {}
  for i = 1, ${run.pipeline} do t[i] = one() end
  if not random then fixed = table.concat(t) end
  return table.concat(t)
end
${run.countStatuses ? STATUS_COUNTER : ''}`;
}

/** Lua that counts answers by status in each thread and prints them as one JSON line at the end. */
const STATUS_COUNTER = `
statuses = {}
response = function(status)
  statuses[status] = (statuses[status] or 0) + 1
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function()
  local all = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do all[status] = (all[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(all) do table.insert(parts, string.format('"%d":%d', status, n)) end
  io.write("statuses: {" .. table.concat(parts, ",") .. "}\\n")
end
`;

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** Parses wrk's report (with --latency) and the `times` line of the shell that ran it. */
export function parseWrkOutput(output: string): WrkResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(output);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(output);
  if (!total || !p99) throw new Error(`unexpected wrk output:\n${output}`);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    output,
  );
  // `times` prints the shell's own times, then its children's: "0m0.260s 0m1.290s".
  const times = [...output.matchAll(/^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/gm)].at(-1);
  if (!times) throw new Error(`no CPU times after wrk's output:\n${output}`);
  const cpuSeconds =
    Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4]);
  const statuses = /^statuses: (\{.*\})$/m.exec(output);
  return {
    ...(statuses ? { statuses: JSON.parse(statuses[1] as string) as Record<string, number> } : {}),
    requests: Number(total[1]),
    seconds: (Number(total[2]) * (UNIT_MS[total[3] as string] as number)) / 1000,
    p99Ms: Number(p99[1]) * (UNIT_MS[p99[2] as string] as number),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    cpuSeconds,
  };
}

/** Runs wrk with one thread and returns what it measured. */
export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'flux-wrk-'));
  const script = join(dir, 'load.lua');
  writeFileSync(script, wrkScript(run));
  const args = ['-t1', `-c${run.connections}`, `-d${run.seconds}s`, '--latency', '-s', script];
  try {
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        'bash',
        ['-c', 'wrk "$@" && times', 'wrk', ...args, `${run.url}${run.path}`],
        // `times` writes the locale's decimal separator; the parser expects a dot.
        { env: { ...process.env, LC_ALL: 'C' } },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}${stderr}`)) : resolve(stdout),
      );
    });
    return parseWrkOutput(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
