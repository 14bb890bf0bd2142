#!/usr/bin/env node
/**
 * The `kelos` executable. The only place that sets the process exit code.
 *
 * @packageDocumentation
 */
import { enableCompileCache } from 'node:module';
import { processIo } from './io.ts';
import { runCli } from './program.ts';

// Commands load lazily; with the on-disk compile cache (type-stripped and compiled code, in the
// OS temp directory) a pre-commit `kelos check` starts in about a third of the time.
enableCompileCache();

process.exitCode = await runCli(process.argv.slice(2), processIo());
