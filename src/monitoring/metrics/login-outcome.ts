/** How a login request ended, as counted by `flux_auth_login_outcomes_total`. */
export type LoginOutcome =
  | 'success'
  | 'failure'
  | 'blocked'
  | 'invalid'
  | 'busy'
  | 'error'
  | 'other';

/** Every outcome, in a stable order (the counter starts them all at zero). */
export const LOGIN_OUTCOMES: readonly LoginOutcome[] = [
  'success',
  'failure',
  'blocked',
  'invalid',
  'busy',
  'error',
  'other',
];

/**
 * The outcome of a login from its status: 401 is a wrong password or unknown email, 429 a
 * refusal by the detector (IP blocked, rate limited, account throttled) before any password
 * check, 503 a full hash queue, 400/413/415 a request refused before the check.
 */
export function loginOutcomeOf(status: number): LoginOutcome {
  if (status >= 200 && status < 300) return 'success';
  switch (status) {
    case 401:
      return 'failure';
    case 429:
      return 'blocked';
    case 503:
      return 'busy';
    case 400:
    case 413:
    case 415:
      return 'invalid';
  }
  return status >= 500 ? 'error' : 'other';
}
