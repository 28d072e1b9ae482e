import { type ChildProcess, fork } from 'node:child_process';
import { REPO_ROOT } from './server.ts';

interface Call {
  readonly id: number;
  readonly cmd: string;
  readonly args: unknown;
}

type Reply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

/**
 * A long-lived bench worker: a .ts file that calls {@link serveWorker}, run in its own Node
 * process via tsx so it shares no event loop or CPU accounting with the bench process.
 */
export class WorkerHandle {
  readonly #child: ChildProcess;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  readonly #exited: Promise<void>;
  #nextId = 1;
  #exitReason: Error | null = null;

  private constructor(readonly file: string) {
    this.#child = fork(file, [], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child.on('message', (reply: Reply) => {
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(new Error(`worker ${file}: ${reply.error}`));
    });
    this.#exited = new Promise((done) => {
      this.#child.once('exit', (code, signal) => {
        this.#exitReason = new Error(`worker ${file} exited (${signal ?? code})`);
        for (const pending of this.#pending.values()) pending.reject(this.#exitReason);
        this.#pending.clear();
        done();
      });
    });
  }

  /** Starts the worker process. */
  static start(file: string): WorkerHandle {
    return new WorkerHandle(file);
  }

  /** Calls `cmd` in the worker and resolves with its answer. */
  call<T>(cmd: string, args: unknown = null): Promise<T> {
    if (this.#exitReason) return Promise.reject(this.#exitReason);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#child.send({ id, cmd, args } satisfies Call);
    });
  }

  /** Asks the worker to exit (SIGKILL after 5 s) and waits until it has. */
  async close(): Promise<void> {
    if (this.#exitReason) return;
    this.#child.send({ id: 0, cmd: '__exit', args: null } satisfies Call);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** The body of a worker process: answers calls with `handlers[cmd](args)` until told to exit. */
export function serveWorker(handlers: Record<string, (args: never) => Promise<unknown>>): void {
  process.on('message', (call: Call) => {
    if (call.cmd === '__exit') {
      process.disconnect();
      process.exit(0);
    }
    const reply = (message: Reply) => process.send?.(message);
    const handler = handlers[call.cmd];
    if (!handler) {
      reply({ id: call.id, ok: false, error: `unknown command ${call.cmd}` });
      return;
    }
    handler(call.args as never).then(
      (value) => reply({ id: call.id, ok: true, value }),
      (error: unknown) =>
        reply({
          id: call.id,
          ok: false,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    );
  });
}
