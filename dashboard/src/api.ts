/** Why the API refused: the app shows the matching page instead of data. */
export type Refusal = 'signed-out' | 'forbidden';

/** An API answer that was not 2xx: status, the service's `{error, code}`, and the raw body. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly body: unknown;
  constructor(status: number, code: string, message: string, body: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** The signed-in admin as `/api/admin/session` answers. */
export interface SessionInfo {
  readonly user: { id: string; email: string; name: string };
  readonly csrfToken: string;
  readonly idleMinutes: number;
}

let csrfToken = '';
let onRefused: (refusal: Refusal) => void = () => {};

/** Remembers the session's CSRF token (sent on every state-changing call). */
export function useCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when a call is refused for the session (401) or the role (403 FORBIDDEN). */
export function onRefusal(handler: (refusal: Refusal) => void): void {
  onRefused = handler;
}

/** Options of `api`: a JSON body, and `background` for polls that must not count as use. */
export interface ApiOptions {
  readonly method?: 'GET' | 'POST' | 'DELETE';
  readonly body?: unknown;
  readonly background?: boolean;
  /** Statuses answered as data instead of an error (e.g. 404 of an optional endpoint). */
  readonly allow?: readonly number[];
}

/** Calls the admin API with the session cookie; throws ApiError on a refusal. */
export async function api<T>(path: string, options: ApiOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  if (options.background) headers['x-flux-background'] = '1';
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const body: unknown = text ? JSON.parse(text) : null;
  if (response.ok || options.allow?.includes(response.status)) return body as T;
  const { error, code } = (body ?? {}) as { error?: string; code?: string };
  const isSessionCall = path.startsWith('/api/admin/session');
  if (!isSessionCall && response.status === 401) onRefused('signed-out');
  if (
    !isSessionCall &&
    response.status === 403 &&
    code === 'FORBIDDEN' &&
    !/CSRF/.test(error ?? '')
  )
    onRefused('forbidden');
  throw new ApiError(response.status, code ?? 'UNKNOWN', error ?? `HTTP ${response.status}`, body);
}

/** Query string of the defined values. */
export function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}
