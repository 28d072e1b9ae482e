import { defineFuzzDrill } from '../helpers/fuzz-drill.ts';

// Issue 13: the full fuzz drill (another seed than the default run's 20,000).
defineFuzzDrill(100_000, { seed: 1313, timeoutMs: 280_000 });
