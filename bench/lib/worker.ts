import { fork } from 'node:child_process';
import { REPO_ROOT } from './server.ts';

/** Messages a worker sends its parent. */
export type WorkerMessage =
  | { readonly type: 'event'; readonly name: string }
  | { readonly type: 'result'; readonly value: unknown }
  | { readonly type: 'error'; readonly message: string };

/**
 * Runs a bench worker (a .ts file that calls {@link workerMain}) in its own Node process via
 * tsx, sends it `input`, and resolves with its result. `onEvent` hears progress events such
 * as `measuring`.
 */
export function runWorker<I, O>(
  file: string,
  input: I,
  onEvent?: (name: string) => void,
): Promise<O> {
  return new Promise<O>((resolve, reject) => {
    const child = fork(file, [], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'event') onEvent?.(message.name);
      else if (message.type === 'result') {
        settled = true;
        resolve(message.value as O);
      } else if (message.type === 'error') {
        settled = true;
        reject(new Error(`worker ${file}: ${message.message}`));
      }
    });
    child.on('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    child.on('exit', (code, signal) => {
      if (!settled) reject(new Error(`worker ${file} exited (${signal ?? code}) without a result`));
      settled = true;
    });
    child.send({ input });
  });
}

/**
 * The body of a worker process: waits for its input, runs `handler`, sends the result (or
 * error) to the parent and exits. `emit` sends a progress event.
 */
export function workerMain<I, O>(handler: (input: I, emit: (name: string) => void) => Promise<O>) {
  const send = (message: WorkerMessage) =>
    new Promise<void>((done) => {
      if (process.send) process.send(message, () => done());
      else done();
    });
  process.once('message', (message: { input: I }) => {
    handler(message.input, (name) => void send({ type: 'event', name })).then(
      async (value) => {
        await send({ type: 'result', value });
        process.exit(0);
      },
      async (error: unknown) => {
        await send({ type: 'error', message: error instanceof Error ? error.stack ?? error.message : String(error) });
        process.exit(1);
      },
    );
  });
}
