package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/linux-gcs/gcs/internal/policy/simulate"
)

// policySimulateCommand evaluates a policy offline against a list of
// requests, as the GCS would decide them one after another.
func policySimulateCommand() command {
	var policyPath, commandsPath, dataPath string
	return command{
		name:    "policy simulate",
		summary: "decide a list of requests with a Rego security policy, offline",
		detail: `Needs no GCS. -commands is a JSON list of {"name": RULE, "input": {...}}
(hcsshim's policy engine simulator format); a load_fragment input names its
fragment's Rego in local_path, relative to the commands file, beside issuer
and feed (and optionally header_svn). A local_path that is a signed
fragment (a COSE_Sign1 envelope) is verified first, as the GCS verifies it,
and gives issuer, feed and header_svn itself. Metadata carries from one command to
the next. Prints one JSON object per command: {"name", "allowed"} and the
decision's env_list, caps_list and allow_stdio_access where it has them;
"errors" lists the policy's reasons for a denial, "error" says why the
policy could not decide. -data replaces the guest's data (default mounts,
prefixes, default capabilities) with a JSON object; its "metadata", if any,
is the state the first command starts from.`,
		offline: true,
		setup: func(fs *flag.FlagSet) parseFunc {
			fs.StringVar(&policyPath, "policy", "", "the policy's Rego `FILE` (package policy)")
			fs.StringVar(&commandsPath, "commands", "", "the commands JSON `FILE`")
			fs.StringVar(&dataPath, "data", "", "initial data JSON `FILE` (optional)")
			return func(args []string, _ io.Reader) (action, error) {
				if len(args) != 0 {
					return nil, usageErrorf("policy simulate takes no arguments")
				}
				if policyPath == "" || commandsPath == "" {
					return nil, usageErrorf("policy simulate needs -policy and -commands")
				}
				return func(ctx context.Context, s *session) error {
					return runPolicySimulate(ctx, s, policyPath, commandsPath, dataPath)
				}, nil
			}
		},
	}
}

func runPolicySimulate(ctx context.Context, s *session, policyPath, commandsPath, dataPath string) error {
	code, err := os.ReadFile(policyPath)
	if err != nil {
		return fmt.Errorf("read policy: %w", err)
	}
	cmds, err := simulate.ReadCommands(commandsPath)
	if err != nil {
		return err
	}
	var data map[string]any
	if dataPath != "" {
		if data, err = simulate.ReadData(dataPath); err != nil {
			return err
		}
	}
	outcomes, err := simulate.Run(ctx, string(code), data, cmds, filepath.Dir(commandsPath))
	if err != nil {
		return err
	}
	for _, o := range outcomes {
		line, err := o.Line()
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(s.stdout, "%s\n", line); err != nil {
			return err
		}
	}
	return nil
}
