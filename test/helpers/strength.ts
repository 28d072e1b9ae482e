import { PasswordPolicy, ZxcvbnStrengthEstimator } from '../../src/accounts/index.ts';

let shared: ZxcvbnStrengthEstimator | null = null;

/**
 * One zxcvbn estimator per test file (its dictionaries take a few hundred ms to load), as the
 * service shares one per process. It holds no state between estimates.
 */
export function testStrengthEstimator(): ZxcvbnStrengthEstimator {
  shared ??= new ZxcvbnStrengthEstimator();
  return shared;
}

/** The service's password policy (default minimum score) over the shared estimator. */
export function testPasswordPolicy(): PasswordPolicy {
  return new PasswordPolicy({ estimator: testStrengthEstimator() });
}
