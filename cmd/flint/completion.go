package main

import (
	"io"

	"github.com/urfave/cli/v2"
)

// bashCompletion asks flint itself for the candidates: urfave/cli answers
// the hidden --generate-bash-completion flag with the commands or flags that
// fit. With no candidate, bash completes file names.
const bashCompletion = `# bash completion for flint; load it with: source <(flint completion bash)
_flint() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local -a args=("${COMP_WORDS[@]:1:COMP_CWORD-1}")
  [[ $cur == -* ]] && args+=("$cur")
  local IFS=$'\n'
  COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "${args[@]}" --generate-bash-completion 2>/dev/null)" -- "$cur"))
}
complete -o bashdefault -o default -F _flint flint
`

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:         "completion",
		Usage:        "print the bash completion script",
		ArgsUsage:    "bash",
		Description:  "Load completion into the current shell with: source <(flint completion bash)",
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 || c.Args().First() != "bash" {
				return usageErrorf("flint completion: the one shell supported is bash: flint completion bash")
			}
			_, err := io.WriteString(c.App.Writer, bashCompletion)
			return err
		},
	}
}
