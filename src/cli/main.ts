#!/usr/bin/env node
/**
 * The `kelos` executable. The only place that sets the process exit code.
 *
 * @packageDocumentation
 */
import { processIo } from './io.ts';
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv.slice(2), processIo());
