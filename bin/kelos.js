#!/usr/bin/env node
// The `kelos` executable of the package. Installed from npm it runs the JavaScript that
// `npm run build` emitted into lib/ (Node does not strip types inside node_modules). In a
// checkout of this repository, where src/ exists, it runs the TypeScript source itself, so
// the repository has no build output to go stale.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
await import(existsSync(source) ? source.href : '../lib/src/cli/main.js');
