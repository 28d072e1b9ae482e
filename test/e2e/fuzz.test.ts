import { defineFuzzDrill } from '../helpers/fuzz-drill.ts';

// Issue 13: the default run's share of the fuzzer; `npm run test:drills` sends 100,000.
defineFuzzDrill(20_000, { seed: 13, timeoutMs: 240_000 });
