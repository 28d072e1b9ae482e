import { readFileSync, statSync } from 'node:fs';
import { type CidrList, isValidCidr, parseCidrList } from '../client-ip.ts';

/** What `SeedLists` needs. */
export interface SeedListsOptions {
  /** FireHOL-style netsets: one IP or CIDR a line; `#` or `;` starts a comment. */
  readonly paths: readonly string[];
  /** Told one plain line per problem (`file:line: …`); the rest of the file still loads. */
  readonly onProblem: (problem: string) => void;
  /** Told after each (re)load: how many entries of how many files. */
  readonly onLoad?: (entries: number, files: number) => void;
}

/** One parsed list file: its entries and its problems (`path:line: …`). */
export function parseNetset(path: string, text: string): { entries: string[]; problems: string[] } {
  const entries: string[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (line === '') return;
    if (isValidCidr(line)) entries.push(line);
    else
      problems.push(`${path}:${i + 1}: not an IP address or CIDR range: ${JSON.stringify(line)}`);
  });
  return { entries, problems };
}

/**
 * The seed lists of known bad ranges (`REPUTATION_LISTS`): an IP on one starts at the policy's
 * `listedScore`. Reloaded when a file changes (polled), without a restart.
 */
export class SeedLists {
  readonly #options: SeedListsOptions;
  #list: CidrList = parseCidrList([]);
  #timer: NodeJS.Timeout | null = null;
  #signature = '';

  constructor(options: SeedListsOptions) {
    this.#options = options;
    this.reload();
  }

  /** Whether the IP is on a list. */
  matches(ip: string): boolean {
    return this.#list.matches(ip);
  }

  /** Reads every file again; an unreadable file is a problem, the others still load. */
  reload(): void {
    this.#signature = this.#currentSignature();
    const all: string[] = [];
    for (const path of this.#options.paths) {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        this.#options.onProblem(`${path}: cannot read the list (${String(code ?? error)})`);
        continue;
      }
      const { entries, problems } = parseNetset(path, text);
      for (const problem of problems) this.#options.onProblem(problem);
      all.push(...entries);
    }
    this.#list = parseCidrList(all);
    this.#options.onLoad?.(all.length, this.#options.paths.length);
  }

  /** Reloads when a file's size, time or inode changes (checked every `intervalMs`). */
  watch(intervalMs = 2000): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => {
      if (this.#currentSignature() !== this.#signature) this.reload();
    }, intervalMs);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  #currentSignature(): string {
    return this.#options.paths
      .map((path) => {
        try {
          const st = statSync(path);
          return `${st.ino}:${st.size}:${st.mtimeMs}`;
        } catch {
          return 'missing';
        }
      })
      .join('|');
  }
}
