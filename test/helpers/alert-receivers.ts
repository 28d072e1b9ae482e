import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One e-mail as the SMTP server received it, parsed. */
export interface ReceivedEmail {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly raw: string;
}

/** A real SMTP server on loopback (no TLS, no auth) keeping what it receives. */
export class SmtpReceiver {
  readonly received: ReceivedEmail[] = [];
  readonly #server: SMTPServer;
  port = 0;

  constructor() {
    this.#server = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw).then(
            (mail) => {
              this.received.push({
                from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
                to: session.envelope.rcptTo.map((r) => r.address),
                subject: mail.subject ?? '',
                text: mail.text ?? '',
                html: typeof mail.html === 'string' ? mail.html : '',
                raw,
              });
              callback();
            },
            (error: Error) => callback(error),
          );
        });
      },
    });
  }

  /** `smtp://127.0.0.1:<port>`. */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.#server.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** One POST as the webhook receiver got it. */
export interface ReceivedHook {
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** The README's recipe said yes. */
  readonly isVerified: boolean;
  /** Status answered. */
  readonly status: number;
}

/** How the receiver answers the n-th request (0-based): a status and a delay in ms. */
export type HookBehaviour = (n: number) => { status: number; delayMs?: number };

/**
 * A local HTTP receiver that checks each request's `X-Flux-Signature` with the verification
 * code copied from the README (see `loadReadmeVerifier`), and answers as `behaviour` says.
 */
export class WebhookReceiver {
  readonly received: ReceivedHook[] = [];
  behaviour: HookBehaviour = () => ({ status: 200 });
  readonly #server: Server;
  readonly #secret: string;
  #verify: ReadmeVerifier | null = null;
  port = 0;

  constructor(secret: string) {
    this.#secret = secret;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const { status, delayMs = 0 } = this.behaviour(this.received.length);
        const header = req.headers['x-flux-signature'];
        const isVerified =
          this.#verify?.(this.#secret, typeof header === 'string' ? header : undefined, rawBody) ??
          false;
        this.received.push({ headers: req.headers, rawBody, isVerified, status });
        const timer = setTimeout(() => res.writeHead(status).end(), delayMs);
        res.on('close', () => clearTimeout(timer));
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/flux`;
  }

  async start(): Promise<void> {
    this.#verify = await loadReadmeVerifier();
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** The README's receiver check: true when the signature is valid and fresh. */
export type ReadmeVerifier = (
  secret: string,
  header: string | undefined,
  rawBody: string,
  nowSeconds?: number,
) => boolean;

/**
 * Runs the README's verification recipe exactly as printed: the fenced block after the marker
 * `<!-- webhook-verify -->` is written to a file and imported; it must export `verifyFluxSignature`.
 */
export async function loadReadmeVerifier(): Promise<ReadmeVerifier> {
  const readme = readFileSync('README.md', 'utf8');
  const match = /<!-- webhook-verify -->\s*```js\n([\s\S]*?)```/.exec(readme);
  if (match === null) throw new Error('README has no <!-- webhook-verify --> code block');
  const file = join(mkdtempSync(join(tmpdir(), 'flux-verify-')), 'verify.mjs');
  writeFileSync(file, match[1] ?? '');
  const module = (await import(pathToFileURL(file).href)) as {
    verifyFluxSignature?: ReadmeVerifier;
  };
  if (typeof module.verifyFluxSignature !== 'function') {
    throw new Error('README recipe does not export verifyFluxSignature');
  }
  return module.verifyFluxSignature;
}
