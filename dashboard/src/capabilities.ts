type Paths = Record<string, Record<string, unknown>>;

let paths: Promise<Paths> | null = null;

async function loadPaths(): Promise<Paths> {
  try {
    const response = await fetch('/openapi.json');
    return response.ok ? (((await response.json()) as { paths?: Paths }).paths ?? {}) : {};
  } catch {
    return {};
  }
}

/**
 * True when this instance serves `method path` (OpenAPI form, `/api/admin/ips/{ip}`), from
 * its `/openapi.json`: endpoints of features this build may not have (IP reputation, the
 * backtest) are asked only when they exist, so a missing one costs no failed request.
 */
export async function hasEndpoint(method: string, path: string): Promise<boolean> {
  paths ??= loadPaths();
  const operations = (await paths)[path];
  return operations !== undefined && Object.hasOwn(operations, method.toLowerCase());
}
