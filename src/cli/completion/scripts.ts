/**
 * The shell completion scripts of `kelos completion <shell>`. Each is a thin adapter: it hands
 * the words before the cursor and the word being completed to the hidden `kelos __complete`
 * command, which knows the commands, flags, kinds and live resource names, and offers what it
 * prints, one candidate per line. The current word travels as `--current=<word>` because
 * some shells (Windows PowerShell 5) drop empty arguments to native commands.
 *
 * @packageDocumentation
 */

/** The hidden command the scripts call: `kelos __complete --current=<word> <words before it>…`. */
export const COMPLETE_COMMAND = '__complete';

/** Shells with a completion script. */
export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;
/** One of {@link SHELLS}. */
export type Shell = (typeof SHELLS)[number];

const bash = (bin: string): string => `# bash completion for ${bin}
# Load it in this shell:  source <(${bin} completion bash)
# Or for every shell:     ${bin} completion bash > ~/.local/share/bash-completion/completions/${bin}
_${bin}_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  # bash splits --type=codex at the = (COMP_WORDBREAKS): right after it, the value typed is empty.
  [[ \${cur} == "=" ]] && cur=""
  local IFS=$'\\n'
  local out
  out=$(${bin} ${COMPLETE_COMMAND} "--current=\${cur}" "\${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null)
  COMPREPLY=($(compgen -W "\${out}" -- "\${cur}"))
}
complete -o default -F _${bin}_complete ${bin}
`;

const zsh = (bin: string): string => `#compdef ${bin}
# zsh completion for ${bin}
# Load it in this shell:  source <(${bin} completion zsh)
# Or for every shell:     ${bin} completion zsh > "\${fpath[1]}/_${bin}"
_${bin}() {
  local -a candidates
  candidates=("\${(@f)$(${bin} ${COMPLETE_COMMAND} "--current=\${words[CURRENT]}" "\${(@)words[2,CURRENT-1]}" 2>/dev/null)}")
  candidates=("\${(@)candidates:#}")
  if (( \${#candidates} )); then
    compadd -a candidates
  else
    _files
  fi
}
if (( $+functions[compdef] )); then
  compdef _${bin} ${bin}
fi
`;

const fish = (bin: string): string => `# fish completion for ${bin}
# Load it in this shell:  ${bin} completion fish | source
# Or for every shell:     ${bin} completion fish > ~/.config/fish/completions/${bin}.fish
function __${bin}_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    ${bin} ${COMPLETE_COMMAND} "--current=$current" $words[2..-1] 2>/dev/null
end
complete -c ${bin} -f -a '(__${bin}_complete)'
`;

const powershell = (bin: string): string => `# PowerShell completion for ${bin}
# Load it in this shell:  ${bin} completion powershell | Out-String | Invoke-Expression
# Or for every shell: add that line to $PROFILE
Register-ArgumentCompleter -Native -CommandName '${bin}' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    # The words before the one being completed (which ends at the cursor), without the command.
    $words = @($commandAst.CommandElements |
        Where-Object { $_.Extent.EndOffset -lt $cursorPosition } |
        Select-Object -Skip 1 |
        ForEach-Object { $_.ToString() })
    & '${bin}' ${COMPLETE_COMMAND} "--current=$wordToComplete" @words 2>$null |
        Where-Object { $_ -ne '' } |
        ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
}
`;

/** The completion script of `shell` for the executable named `bin`. */
export const completionScript = (shell: Shell, bin = 'kelos'): string =>
  ({ bash, zsh, fish, powershell })[shell](bin);
