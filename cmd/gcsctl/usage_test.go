package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandUsageErrors runs command lines that are wrong: each must exit
// 2 with its message before connecting anywhere (the address leads
// nowhere, so a line that got past parsing would exit 1 instead).
func TestCommandUsageErrors(t *testing.T) {
	dir := t.TempDir()
	badJSON := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badJSON, []byte(`{"ResourceType": `), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string // in stderr
	}{
		// Global flags.
		{"bad relay", []string{"--relay", "bogus", "ps", "c1"}, "", "--relay: parse relay prefix"},
		{"stdio relay", []string{"--relay", "stdio://", "ps", "c1"}, "", "stdio cannot carry relay connections"},
		{"relative root", []string{"--root", "run/gcs", "ps", "c1"}, "", `--root "run/gcs" is not an absolute path`},

		// run
		{"run without arguments", []string{"run"}, "", "run wants IMAGE-ROOTFS-DIR CMD [ARG...], got 0 arguments"},
		{"run without CMD", []string{"run", "/rootfs"}, "", "got 1 arguments"},
		{"run with a slash in the id", []string{"run", "--id", "a/b", "/rootfs", "sh"}, "", `invalid container id "a/b"`},
		{"run with id ..", []string{"run", "--id", "..", "/rootfs", "sh"}, "", `invalid container id ".."`},
		{"run with env without =", []string{"run", "--env", "NOEQ", "/rootfs", "sh"}, "", `run: --env "NOEQ": want NAME=VALUE`},
		{"run with env without name", []string{"run", "--env", "=v", "/rootfs", "sh"}, "", `--env "=v": want NAME=VALUE`},
		{"run with a bad user name", []string{"run", "--user", "a b", "/rootfs", "sh"}, "", "want UID[:GID] or NAME[:GROUP]"},
		{"run with a bad gid", []string{"run", "-u", "0:4294967296", "/rootfs", "sh"}, "", "bad gid"},
		{"run with no CMD after --", []string{"run", "/rootfs", "--"}, "", "CMD is missing after --"},
		{"run -d -t", []string{"run", "-d", "-t", "/rootfs", "sh"}, "", "-d cannot be combined with -t, -i or --rm"},
		{"run -d -i", []string{"run", "-d", "-i", "/rootfs", "sh"}, "", "-d cannot be combined"},
		{"run -d --rm", []string{"run", "-d", "--rm", "/rootfs", "sh"}, "", "-d cannot be combined"},
		{"run -xt", []string{"run", "-xt", "/rootfs", "sh"}, "", "run: flag provided but not defined: -xt"},

		// exec
		{"exec without arguments", []string{"exec"}, "", "exec wants ID CMD [ARG...], got 0 arguments"},
		{"exec without CMD", []string{"exec", "c1"}, "", "got 1 arguments"},
		{"exec with a bad id", []string{"exec", "c 1", "sh"}, "", `invalid container id "c 1"`},
		{"exec with a bad env", []string{"exec", "--env", "X", "c1", "sh"}, "", `exec: --env "X": want NAME=VALUE`},

		// ps, stats, rm
		{"ps without ID", []string{"ps"}, "", "ps wants ID, got 0 arguments"},
		{"ps with two IDs", []string{"ps", "a", "b"}, "", "ps wants ID, got 2 arguments"},
		{"stats without ID", []string{"stats"}, "", "stats wants ID, got 0 arguments"},
		{"stats with a bad id", []string{"stats", "a:b"}, "", `invalid container id "a:b"`},
		{"rm without ID", []string{"rm"}, "", "rm wants ID, got 0 arguments"},

		// kill
		{"kill without ID", []string{"kill"}, "", "kill wants ID [PID], got 0 arguments"},
		{"kill with three arguments", []string{"kill", "c1", "1", "2"}, "", "got 3 arguments"},
		{"kill with an unknown signal", []string{"kill", "--signal", "FOO", "c1", "5"}, "", `kill: --signal: unknown signal "FOO"`},
		{"kill with signal 0", []string{"kill", "--signal", "0", "c1", "5"}, "", "signal 0 out of range 1..64"},
		{"kill with signal 65", []string{"kill", "--signal", "65", "c1", "5"}, "", "signal 65 out of range"},
		{"kill a container with HUP", []string{"kill", "--signal", "HUP", "c1"}, "", "without PID only KILL and TERM can be sent"},
		{"kill a bad PID", []string{"kill", "c1", "abc"}, "", `kill: invalid PID "abc"`},
		{"kill PID 0", []string{"kill", "c1", "0"}, "", `kill: invalid PID "0"`},

		// wait
		{"wait with too many arguments", []string{"wait", "c1", "1", "2"}, "", "wait wants ID [PID], got 3 arguments"},
		{"wait for a bad PID", []string{"wait", "c1", "x"}, "", `wait: invalid PID "x"`},
		{"wait with a negative timeout", []string{"wait", "--timeout", "-1s", "c1", "1"}, "", "--timeout must not be negative"},

		// layers
		{"layers alone", []string{"layers"}, "", "layers wants a subcommand: add, remove"},
		{"layers unknown", []string{"layers", "frob"}, "", `unknown command "layers frob" (layers wants a subcommand: add, remove)`},
		{"layers add without --id", []string{"layers", "add", "/l"}, "", "layers add: --id is required"},
		{"layers add with a bad id", []string{"layers", "add", "--id", "a/b", "/l"}, "", `invalid container id "a/b"`},
		{"layers add without layers", []string{"layers", "add", "--id", "c1"}, "", "layers add wants at least one LAYER"},
		{"layers remove without --id", []string{"layers", "remove"}, "", "layers remove: --id is required"},
		{"layers remove with arguments", []string{"layers", "remove", "--id", "c1", "x"}, "", `layers remove takes no arguments, got ["x"]`},

		// disk
		{"disk alone", []string{"disk"}, "", "disk wants a subcommand: add, remove, unplug"},
		{"disk add without --lun", []string{"disk", "add", "/m"}, "", "disk add: --lun is required"},
		{"disk add with LUN 256", []string{"disk", "add", "--lun", "256", "/m"}, "", "disk add: --lun 256 out of range 0..255"},
		{"disk add with a negative LUN", []string{"disk", "add", "--lun", "-1", "/m"}, "", `invalid value "-1" for flag -lun`},
		{"disk add on controller 4", []string{"disk", "add", "--lun", "1", "--controller", "4", "/m"}, "", "--controller 4 out of range 0..3"},
		{"disk add btrfs", []string{"disk", "add", "--lun", "1", "--fs", "btrfs", "/m"}, "", `disk add: --fs "btrfs": want ext4 or xfs`},
		{"disk add --ensure-fs alone", []string{"disk", "add", "--lun", "1", "--ensure-fs", "/m"}, "", "--ensure-fs needs --fs"},
		{"disk add a relative path", []string{"disk", "add", "--lun", "1", "mnt"}, "", `disk add: MOUNTPATH "mnt" is not an absolute path`},
		{"disk add without MOUNTPATH", []string{"disk", "add", "--lun", "1"}, "", "disk add wants MOUNTPATH, got 0 arguments"},
		{"disk remove without MOUNTPATH", []string{"disk", "remove", "--lun", "1"}, "", "disk remove wants MOUNTPATH"},
		{"disk remove without --lun", []string{"disk", "remove", "/m"}, "", "disk remove: --lun is required"},
		{"disk unplug without --lun", []string{"disk", "unplug"}, "", "disk unplug: --lun is required"},
		{"disk unplug with a path", []string{"disk", "unplug", "--lun", "1", "/m"}, "", "disk unplug takes no arguments"},

		// pmem
		{"pmem add without --device", []string{"pmem", "add", "/m"}, "", "pmem add: --device is required"},
		{"pmem add with --offset alone", []string{"pmem", "add", "--device", "1", "--offset", "0", "/m"}, "", "--offset and --size go together"},
		{"pmem add with --size alone", []string{"pmem", "add", "--device", "1", "--size", "4096", "/m"}, "", "--offset and --size go together"},
		{"pmem add with size 0", []string{"pmem", "add", "--device", "1", "--offset", "0", "--size", "0", "/m"}, "", "--size must not be 0"},
		{"pmem add device 2^32", []string{"pmem", "add", "--device", "4294967296", "/m"}, "", "--device 4294967296 out of range"},
		{"pmem remove without MOUNTPATH", []string{"pmem", "remove", "--device", "1"}, "", "pmem remove wants MOUNTPATH"},

		// share
		{"share add without --port", []string{"share", "add", "/m"}, "", "share add: --port is required"},
		{"share add on port 0", []string{"share", "add", "--port", "0", "/m"}, "", "--port 0 out of range 1..2147483647"},
		{"share add on port 2^31", []string{"share", "add", "--port", "2147483648", "/m"}, "", "out of range"},
		{"share remove without MOUNTPATH", []string{"share", "remove"}, "", "share remove wants MOUNTPATH, got 0 arguments"},
		{"share remove a relative path", []string{"share", "remove", "m"}, "", "is not an absolute path"},

		// net
		{"net add without --ns", []string{"net", "add", "--id", "a", "--mac", "00-15-5D-11-22-33"}, "", "net add: --ns is required"},
		{"net add without --mac", []string{"net", "add", "--ns", "n", "--id", "a"}, "", "net add: --mac is required"},
		{"net add with a bad MAC", []string{"net", "add", "--ns", "n", "--id", "a", "--mac", "00-15"}, "", "net add: --mac: address 00-15: invalid MAC address"},
		{"net add with a bad address", []string{"net", "add", "--ns", "n", "--id", "a", "--mac", "00:15:5d:11:22:33", "--ip", "10.0.0.5"}, "", "net add: --ip"},
		{"net add with a bad prefix", []string{"net", "add", "--ns", "n", "--id", "a", "--mac", "00:15:5d:11:22:33", "--ip", "10.0.0.5/33"}, "", "net add: --ip"},
		{"net add a route without =", []string{"net", "add", "--ns", "n", "--id", "a", "--mac", "00:15:5d:11:22:33", "--route", "0.0.0.0/0"}, "", "want DEST=NEXTHOP[@METRIC]"},
		{"net add a route to a host", []string{"net", "add", "--ns", "n", "--id", "a", "--mac", "00:15:5d:11:22:33", "--route", "10.0.0.1=10.0.0.2"}, "", `--route "10.0.0.1=10.0.0.2"`},
		{"net add a route via nothing", []string{"net", "add", "--ns", "n", "--id", "a", "--mac", "00:15:5d:11:22:33", "--route", "0.0.0.0/0=gw"}, "", `--route "0.0.0.0/0=gw"`},
		{"net add a route metric 65536", []string{"net", "add", "--ns", "n", "--id", "a", "--mac", "00:15:5d:11:22:33", "--route", "0.0.0.0/0=10.0.0.1@65536"}, "", `metric "65536" is not a number from 0 to 65535`},
		{"net add a bad DNS server", []string{"net", "add", "--ns", "n", "--id", "a", "--mac", "00:15:5d:11:22:33", "--dns", "10.0.0.10,dns.example"}, "", "net add: --dns"},
		{"net add a big overhead", []string{"net", "add", "--ns", "n", "--id", "a", "--mac", "00:15:5d:11:22:33", "--encap-overhead", "65536"}, "", "--encap-overhead 65536 out of range 0..65535"},
		{"net add with arguments", []string{"net", "add", "--ns", "n", "--id", "a", "--mac", "00:15:5d:11:22:33", "x"}, "", "net add takes no arguments"},
		{"net remove without --id", []string{"net", "remove", "--ns", "n"}, "", "net remove: --id is required"},

		// modify
		{"modify without FILE", []string{"modify"}, "", "modify wants FILE or -, got 0 arguments"},
		{"modify a bad file", []string{"modify", badJSON}, "", "is not a ModificationRequest object"},
		{"modify without ResourceType", []string{"modify", "-"}, `{"Settings":{}}`, "modify: - has no ResourceType"},
		{"modify with an unknown key", []string{"modify", "-"}, `{"ResourceType":"Network","Bogus":1}`, `unknown field "Bogus"`},
		{"modify with two documents", []string{"modify", "-"}, `{"ResourceType":"Network"} {}`, "holds more than one JSON value"},
		{"modify a bad container", []string{"modify", "--container", "a/b", "-"}, `{"ResourceType":"Network"}`, `invalid container id "a/b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, stdout, stderr := newTestApp(nil, tt.stdin)
			args := append([]string{"--addr", "unix://" + filepath.Join(dir, "nobody.sock")}, tt.args...)
			want := exitUsage
			if cmd, ok := lookupCommand(tt.args[0]); ok && cmd.exitsWithProcess {
				want = exitFailed
			}
			if code := a.run(context.Background(), args); code != want {
				t.Errorf("exit code %d, want %d\nstderr: %s", code, want, stderr)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
			if stdout.Len() > 0 {
				t.Errorf("unexpected stdout: %s", stdout)
			}
		})
	}
}

func TestModifyMissingFile(t *testing.T) {
	a, _, stderr := newTestApp(nil, "")
	if code := a.run(context.Background(), []string{"modify", "/nonexistent/req.json"}); code != exitFailed {
		t.Errorf("exit code %d, want %d", code, exitFailed)
	}
	if want := "error: read the modification request: open /nonexistent/req.json"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q: %s", want, stderr)
	}
}

func TestCommandHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string // in stdout
	}{
		{[]string{"help", "run"}, []string{"Usage: gcsctl [flags] run [-t] [-i] [-d]", "IMAGE-ROOTFS-DIR [--] CMD [ARG...]",
			"Flags of run:", "--layer DIR", "-u, --user USER", "  -t  ", "ShutdownForced"}},
		{[]string{"exec", "--help"}, []string{"Usage: gcsctl [flags] exec [-t] [-i] [-e K=V]... [-w DIR] [-u USER] ID [--] CMD"}},
		{[]string{"help", "wait"}, []string{"given, is the time limit of the wait itself"}},
		{[]string{"help", "layers"}, []string{"Usage: gcsctl [flags] layers add --id ID", "Usage: gcsctl [flags] layers remove --id ID"}},
		{[]string{"layers", "-h"}, []string{"Flags of layers add:", "Flags of layers remove:"}},
		{[]string{"help", "disk", "add"}, []string{"Flags of disk add:", "--ensure-fs", "--option O"}},
		{[]string{"net", "add", "-h"}, []string{"--route DEST=NEXTHOP[@METRIC]", "--dns-suffix S,..."}},
		{[]string{"help"}, []string{"--relay PREFIX", "must match gcs -relay", "GCSCTL_RELAY", "--root DIR", "GCSCTL_ROOT",
			"\n  run [-t] [-i] [-d] [--id|--name ID]", "\n  net remove --ns NSID --id ADAPTERID\n"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			a, stdout, stderr := newTestApp(nil, "")
			if code := a.run(context.Background(), tt.args); code != exitOK {
				t.Fatalf("exit code %d: %s", code, stderr)
			}
			for _, s := range tt.want {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, line := range strings.Split(stdout.String(), "\n") {
				if len(line) > overviewWidth && tt.args[0] == "help" && len(tt.args) == 1 && !strings.HasPrefix(line, "  --") {
					t.Errorf("overview line longer than %d columns: %q", overviewWidth, line)
				}
			}
		})
	}
}
