/**
 * `kelos completion bash|zsh|fish|powershell`: prints the shell's completion script, which
 * completes commands, flags, kinds and, live from the cluster, resource names.
 *
 * @packageDocumentation
 */
import { Argument, Command } from 'commander';
import { completionScript, SHELLS, type Shell } from '../completion/scripts.ts';
import { type CommandFactory, ExitCode } from '../io.ts';

export const completionCommand: CommandFactory = (io, done) =>
  new Command('completion')
    .description(
      'print the shell completion script (commands, flags, kinds, and resource names from the cluster)',
    )
    .addArgument(new Argument('<shell>', 'bash, zsh, fish or powershell').choices(SHELLS))
    .addHelpText(
      'after',
      '\nLoad it in the current shell:\n  bash:       source <(kelos completion bash)\n  zsh:        source <(kelos completion zsh)\n  fish:       kelos completion fish | source\n  powershell: kelos completion powershell | Out-String | Invoke-Expression\n',
    )
    .action((shell: Shell) => {
      io.stdout(completionScript(shell));
      done(ExitCode.Ok);
    });
