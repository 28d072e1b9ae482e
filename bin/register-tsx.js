// Lets Node run the TypeScript sources directly. A module runs once per process however often
// it is imported, so the start command and `--import ./bin/instrument.js` can both ask for it.
import { register } from 'tsx/esm/api';

register();
