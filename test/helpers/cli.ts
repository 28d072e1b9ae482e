import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'flux-auth.js');

/** What one CLI run printed and how it exited. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `flux-auth <args>` in a fresh temp directory with only PATH and `env` set (metrics off
 * unless `env` names a METRICS_PORT: parallel test files must never meet on the default 9464).
 */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const cwd = mkdtempSync(join(tmpdir(), 'flux-cli-'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', METRICS_PORT: 'off', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
