/** A parsed JSON response body, loosely typed for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary response shapes
export type Json = any;

/** Reads a fetch response body as JSON for assertions. */
export async function readJson(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}
