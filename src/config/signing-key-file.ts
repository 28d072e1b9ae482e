import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SigningConfig } from './config.ts';

/** The signing key read from a file, or the reason it cannot be used. */
export type SigningKeyResult =
  | { readonly ok: true; readonly signing: SigningConfig }
  | { readonly ok: false; readonly problem: string };

/**
 * Reads a PKCS#8 PEM private key and picks the JWT algorithm from it: Ed25519 → EdDSA,
 * P-256 → ES256. Never throws; the problem names the file and the fix.
 */
export function readSigningKeyFile(path: string): SigningKeyResult {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return { ok: false, problem: `cannot read ${path} (${reason}).` };
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(pem);
  } catch {
    return {
      ok: false,
      problem: `${path} is not a PEM private key; create one with: openssl genpkey -algorithm ed25519 -out key.pem`,
    };
  }
  const alg = algorithmOf(key.asymmetricKeyType, key.asymmetricKeyDetails?.namedCurve);
  if (alg === null) {
    return {
      ok: false,
      problem: `${path} holds a ${key.asymmetricKeyType ?? 'unknown'} key; use Ed25519 (EdDSA) or P-256 (ES256).`,
    };
  }
  const pkcs8 = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    ok: true,
    signing: { kind: 'asymmetric', alg, privateKeyFile: path, privateKeyPem: pkcs8 },
  };
}

function algorithmOf(
  type: string | undefined,
  curve: string | undefined,
): 'EdDSA' | 'ES256' | null {
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec' && curve === 'prime256v1') return 'ES256';
  return null;
}
