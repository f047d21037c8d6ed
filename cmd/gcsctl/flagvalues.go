package main

import (
	"flag"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// stringList is a flag that may be repeated; each use appends its value.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// setFlags returns the names of the flags given on the command line fs
// parsed.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// checkEnv validates --env values: NAME=VALUE with a non-empty NAME.
func checkEnv(cmd string, env []string) error {
	for _, kv := range env {
		if name, _, ok := strings.Cut(kv, "="); !ok || name == "" {
			return usageErrorf("%s: --env %q: want NAME=VALUE", cmd, kv)
		}
	}
	return nil
}

// userName matches a user or group name the GCS can look up in the
// container's /etc/passwd and /etc/group.
var userName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// parseUser parses --user: UID[:GID] (the group defaults to 0) becomes
// ids, anything else, NAME[:GROUP] or a mix, is sent as User.Username for
// the GCS to resolve in the container's own /etc/passwd and /etc/group.
func parseUser(s string) (oci.User, error) {
	u, g, hasGroup := strings.Cut(s, ":")
	if u == "" || (hasGroup && g == "") {
		return oci.User{}, fmt.Errorf("--user %q: want UID[:GID] or NAME[:GROUP]", s)
	}
	if isDigits(u) && (!hasGroup || isDigits(g)) {
		var user oci.User
		var err error
		if user.UID, err = parseUint32(u); err != nil {
			return oci.User{}, fmt.Errorf("--user %q: bad uid: %w", s, err)
		}
		if hasGroup {
			if user.GID, err = parseUint32(g); err != nil {
				return oci.User{}, fmt.Errorf("--user %q: bad gid: %w", s, err)
			}
		}
		return user, nil
	}
	if !userName.MatchString(u) || (hasGroup && !userName.MatchString(g)) {
		return oci.User{}, fmt.Errorf("--user %q: want UID[:GID] or NAME[:GROUP] (letters, digits and _ . -)", s)
	}
	return oci.User{Username: s}, nil
}

// isDigits reports whether s is a non-empty string of decimal digits.
func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// parseUint32 parses a decimal uint32.
func parseUint32(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number from 0 to %d", s, uint32(math.MaxUint32))
	}
	return uint32(v), nil
}

// parsePid parses a process id argument.
func parsePid(cmd, s string) (uint32, error) {
	pid, err := parseUint32(s)
	if err != nil || pid == 0 {
		return 0, usageErrorf("%s: invalid PID %q", cmd, s)
	}
	return pid, nil
}

// Signal numbers gcsctl accepts: the kernel's, SIGHUP to SIGRTMAX.
const (
	minSignal = 1
	maxSignal = 64
)

// parseSignal parses a signal number or name: 15, TERM, SIGTERM, sigterm.
func parseSignal(s string) (int32, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < minSignal || n > maxSignal {
			return 0, fmt.Errorf("signal %d out of range %d..%d", n, minSignal, maxSignal)
		}
		return int32(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if n := unix.SignalNum(name); n != 0 {
		return int32(n), nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// registerProcessFlags defines the flags run and exec share, with the
// short names docker users type: -e/--env, -w/--cwd, -u/--user.
func registerProcessFlags(fs *flag.FlagSet, env *stringList, cwd, user *string, defaultUser string) {
	fs.Var(env, "env", "add `K=V` to the environment; repeat for more (PATH has a default)")
	fs.Var(env, "e", "add `K=V` to the environment; repeat for more (PATH has a default)")
	fs.StringVar(cwd, "cwd", "/", "working `DIR` of CMD")
	fs.StringVar(cwd, "w", "/", "working `DIR` of CMD")
	const userUsage = "`USER` to run CMD as: UID[:GID], or NAME[:GROUP] looked up by the GCS\nin the container's /etc/passwd and /etc/group"
	fs.StringVar(user, "user", defaultUser, userUsage)
	fs.StringVar(user, "u", defaultUser, userUsage)
}
