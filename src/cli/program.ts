/**
 * The `kelos` command line: one commander program, one file per command.
 *
 * @packageDocumentation
 */
import { Command, CommanderError } from 'commander';
import { COMPLETE_COMMAND } from './completion/scripts.ts';
import { type CliIo, type CommandFactory, ExitCode, UsageError } from './io.ts';
import { packageVersion } from './version.ts';

/**
 * Command modules by name. When argv names one of them only that module is imported: the others
 * pull in ajv, CEL or cdk8s, and a pre-commit `kelos check` must start fast.
 */
const COMMANDS: Readonly<Record<string, () => Promise<CommandFactory>>> = {
  validate: async () => (await import('./commands/validate.ts')).validateCommand,
  synth: async () => (await import('./commands/synth.ts')).synthCommand,
  check: async () => (await import('./commands/check.ts')).checkCommand,
  crds: async () => (await import('./commands/crds.ts')).crdsCommand,
  operator: async () => (await import('./commands/operator.ts')).operatorCommand,
  new: async () => (await import('./commands/new.ts')).newCommand,
  get: async () => (await import('./commands/get.ts')).getCommand,
  run: async () => (await import('./commands/run.ts')).runCommand,
  install: async () => (await import('./commands/install.ts')).installCommand,
  uninstall: async () => (await import('./commands/uninstall.ts')).uninstallCommand,
  init: async () => (await import('./commands/init.ts')).initCommand,
  create: async () => (await import('./commands/create.ts')).createCommand,
  version: async () => (await import('./commands/version.ts')).versionCommand,
  logs: async () => (await import('./commands/logs.ts')).logsCommand,
  delete: async () => (await import('./commands/delete.ts')).deleteCommand,
  suspend: async () => (await import('./commands/suspend.ts')).suspendCommand,
  resume: async () => (await import('./commands/suspend.ts')).resumeCommand,
  completion: async () => (await import('./commands/completion.ts')).completionCommand,
};

/**
 * The program with the command `only` (every command when undefined or unknown). Commands
 * report their exit code through `done`.
 */
export async function buildProgram(
  io: CliIo,
  done: (code: ExitCode) => void,
  only?: string,
): Promise<Command> {
  const program = new Command('kelos')
    .description(
      'Kelos: run AI coding agents on Kubernetes. Compile, validate and police kelos.dev manifests; run the operator.',
    )
    .version(packageVersion(), '-V, --version', 'print the version of kelos')
    // Program options only before the command name: `kelos install --version 1.2` is the
    // install's version (upstream's flag), not the program's.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run kelos --help for usage)');
  const named = only !== undefined ? COMMANDS[only] : undefined;
  for (const load of named ? [named] : Object.values(COMMANDS)) {
    // addCommand does not pass the program's settings down, so each command gets them here:
    // its usage errors and help go to `io` too.
    const command = (await load())(io, done);
    configure(command, `kelos ${command.name()}`, io);
    program.addCommand(command);
  }
  return program;
}

/**
 * Gives `command` and its subcommands (`create workspace`) the program's settings: errors that
 * return to {@link runCli} instead of ending the process, output through `io`, and a usage hint.
 */
function configure(command: Command, path: string, io: CliIo): void {
  command
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError(`(run ${path} --help for usage)`);
  for (const sub of command.commands) configure(sub, `${path} ${sub.name()}`, io);
}

/**
 * Runs the CLI with `argv` (without the node and script entries) and resolves to the
 * exit code. Nothing here calls `process.exit`.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let code: ExitCode = ExitCode.Ok;
  const done = (c: ExitCode) => {
    code = c;
  };
  if (argv[0] === COMPLETE_COMMAND) {
    // Shell completion asks here on every TAB; it is not a commander command, so no word the
    // user typed (--help, -V) can act as an option of the program.
    const { completeMain } = await import('./completion/complete.ts');
    await completeMain(
      argv.slice(1),
      io,
      (command) => buildProgram(io, () => {}, command),
      Object.keys(COMMANDS),
    );
    return ExitCode.Ok;
  }
  const program = await buildProgram(io, done, argv[0]);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through the same path as errors; they succeed.
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Error;
    }
    if (err instanceof UsageError) {
      io.stderr(`kelos: ${err.message}\n`);
      return ExitCode.Error;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`kelos: ${message}\n`);
    if (io.env['KELOS_DEBUG'] && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
    return ExitCode.Error;
  }
}
