#!/usr/bin/env node
/**
 * The `kelos` executable. The only place that sets the process exit code.
 *
 * @packageDocumentation
 */
import { enableCompileCache } from 'node:module';

// Node's on-disk compile cache (compiled code, and from source the type-stripped code, in the
// OS temp directory), on before anything else loads, commander included. Commands load
// lazily; with both, a pre-commit `kelos check` of one file starts in a fraction of the time.
enableCompileCache();

const [{ processIo }, { runCli }] = await Promise.all([import('./io.ts'), import('./program.ts')]);
process.exitCode = await runCli(process.argv.slice(2), processIo());
