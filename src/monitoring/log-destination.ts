import type { DestinationStream } from 'pino';
import type { Config } from '../config/index.ts';

/** Readable logs only for a person at a terminal in development; JSON for everything else. */
export function shouldPrettyPrint(env: Config['env'], isStdoutTty: boolean): boolean {
  return isStdoutTty && env !== 'production';
}

/**
 * A pino-pretty stream writing to stdout, or undefined (plain JSON) when pino-pretty is not
 * installed: it is a development dependency, absent after `npm prune --omit=dev`.
 */
export async function createPrettyDestination(): Promise<DestinationStream | undefined> {
  try {
    const { default: pretty } = await import('pino-pretty');
    // Synchronous so the last lines before process.exit are written.
    return pretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' });
  } catch {
    return undefined;
  }
}
