#!/usr/bin/env node
// The `kelos` executable of the package. Installed from npm it runs the CLI bundle that
// `npm run build` wrote into lib/cli/ (Node does not strip types inside node_modules). In a
// checkout of this repository, where src/ exists, it runs the TypeScript source itself, so
// the repository has no build output to go stale.
//
// Plain JavaScript that any Node parses, so an unsupported Node gets this message instead of
// a syntax or import error: 22.18 is the first Node 22 that runs the user's TypeScript apps
// (type stripping on by default, import.meta.main).
import { existsSync } from 'node:fs';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18) || major === 23) {
  process.stderr.write(
    `kelos: Node ${process.versions.node} is not supported; kelos needs Node ^22.18.0 || >=24 (the LTS lines that run TypeScript apps as written)\n`,
  );
  process.exit(1);
}

const source = new URL('../src/cli/main.ts', import.meta.url);
await import(existsSync(source) ? source.href : '../lib/cli/kelos.js');
