#!/usr/bin/env node
// Runs the TypeScript sources directly, so `npm install` is the only step before use.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
