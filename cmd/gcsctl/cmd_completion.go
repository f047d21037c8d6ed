package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// completionCommand prints a shell completion script.
func completionCommand() command {
	return command{
		name:    "completion",
		args:    "bash",
		summary: "print a bash completion script: commands, their flags, container ids",
		detail: `Load it in the current shell with
    source <(gcsctl completion bash)
or install it as /etc/bash_completion.d/gcsctl. Container ids are completed
from the bundles under $GCSCTL_ROOT/c (default /run/gcs/c), as ls reads them;
run's IMAGE-ROOTFS-DIR from directories. zsh can use it after
"autoload bashcompinit && bashcompinit".`,
		offline: true,
		setup: func(*flag.FlagSet) parseFunc {
			return func(args []string, _ io.Reader) (action, error) {
				if len(args) != 1 || args[0] != "bash" {
					return nil, usageErrorf("completion wants bash, the one shell it knows, got %q", args)
				}
				return func(_ context.Context, s *session) error {
					_, err := io.WriteString(s.stdout, bashCompletion())
					return err
				}, nil
			}
		},
	}
}

// bashCompletion returns the bash completion script for the command table.
func bashCompletion() string {
	var words, groups, flagCases, idCmds, valueFlags []string
	for _, c := range commands() {
		first, sub, isGroup := strings.Cut(c.name, " ")
		if !slices.Contains(words, first) {
			words = append(words, first)
		}
		if isGroup && sub == groupCommands(first)[0] {
			groups = append(groups, fmt.Sprintf("        %s) subs=%q ;;", first, strings.Join(groupCommands(first), " ")))
		}
		fs := newFlagSet(c.name)
		c.setup(fs)
		var names []string
		fs.VisitAll(func(f *flag.Flag) {
			names = append(names, flagName(f.Name))
			if !isBoolFlag(f) && !slices.Contains(valueFlags, flagName(f.Name)) {
				valueFlags = append(valueFlags, flagName(f.Name))
			}
		})
		if len(names) > 0 {
			flagCases = append(flagCases, fmt.Sprintf("        %q) flags=\"$flags %s\" ;;", c.name, strings.Join(names, " ")))
		}
		if strings.HasPrefix(c.args, "ID") || strings.Contains(c.args, "] ID") {
			idCmds = append(idCmds, c.name)
		}
	}
	words = append(words, "help")
	gfs := newFlagSet("gcsctl")
	g := globals{}
	g.register(gfs)
	var globalFlags []string
	gfs.VisitAll(func(f *flag.Flag) {
		globalFlags = append(globalFlags, flagName(f.Name))
		if !isBoolFlag(f) {
			valueFlags = append(valueFlags, flagName(f.Name))
		}
	})
	groupCases := strings.Join(groups, "\n")
	return fmt.Sprintf(bashTemplate, strings.Join(globalFlags, " "), strings.Join(words, " "), strings.Join(valueFlags, " "),
		groupCases, groupCases, strings.Join(flagCases, "\n"), strings.Join(quoteAll(idCmds), "|"))
}

// flagName is how a flag is typed: -t, --env.
func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// quoteAll quotes each word for a bash case pattern.
func quoteAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = fmt.Sprintf("%q", w)
	}
	return out
}

// bashTemplate is the completion script; its verbs take the global flags,
// the command words, the flags that take a value, the group cases (twice),
// the flag cases and the commands taking a container id.
const bashTemplate = `# bash completion for gcsctl, made by "gcsctl completion bash".
_gcsctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} cmd="" i w subs="" flags="%s"
    local words="%s" valueflags=" %s "
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
        *=*) continue ;;
        -*)
            [[ $valueflags == *" $w "* ]] && ((i++))
            continue ;;
        esac
        if [[ -z $cmd ]]; then
            cmd=$w
        elif [[ $cmd != *" "* ]]; then
            subs=""
            case $cmd in
%s
            esac
            [[ " $subs " == *" $w "* ]] && cmd="$cmd $w"
            break
        else
            break
        fi
    done
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$flags" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$words" -- "$cur"))
        fi
        return
    fi
    subs=""
    case $cmd in
%s
    esac
    if [[ -n $subs && $cmd != *" "* && $cur != -* ]]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
        return
    fi
    case $cmd in
%s
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags" -- "$cur"))
        return
    fi
    case $cmd in
    %s)
        COMPREPLY=($(compgen -W "$(ls "${GCSCTL_ROOT:-/run/gcs}/c" 2>/dev/null)" -- "$cur")) ;;
    run)
        COMPREPLY=($(compgen -d -- "$cur")) ;;
    help)
        COMPREPLY=($(compgen -W "$words" -- "$cur")) ;;
    esac
}
complete -o default -F _gcsctl gcsctl
`
