package crypt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

// DefaultTimeout bounds one cryptsetup command when Cryptsetup.Timeout is
// zero. Formatting with a forced PBKDF2 iteration count is quick even on
// an emulated CPU; this only stops a hung command from holding a request.
const DefaultTimeout = 2 * time.Minute

// Cryptsetup runs the cryptsetup command line tool. Its zero value runs
// "cryptsetup" from PATH with os/exec, each command bounded by
// DefaultTimeout.
type Cryptsetup struct {
	// Command is the cryptsetup binary; "cryptsetup" when empty.
	Command string
	// Run runs a command and returns its combined output; nil runs it with
	// os/exec. A child subreaper passes its reaper's CombinedOutput, so
	// that the reaper does not take the command's exit status from os/exec.
	Run func(cmd *exec.Cmd) ([]byte, error)
	// Timeout bounds each command; DefaultTimeout when zero.
	Timeout time.Duration
	Log     *logrus.Entry
}

// LuksFormat formats device as a LUKS volume whose key slot is unlocked by
// the content of keyFile, without asking for confirmation.
func (c *Cryptsetup) LuksFormat(ctx context.Context, device, keyFile string, o FormatOptions) error {
	args, err := o.args()
	if err == nil {
		err = checkOperands(device, keyFile)
	}
	if err != nil {
		return fmt.Errorf("cryptsetup luksFormat %s: %w", device, err)
	}
	args = append([]string{"luksFormat", "--batch-mode", "--key-file", keyFile}, args...)
	return c.run(ctx, "luksFormat", device, append(args, device)...)
}

// Open unlocks the LUKS volume on device with the content of keyFile and
// maps it as the device-mapper device name (/dev/mapper/<name>).
func (c *Cryptsetup) Open(ctx context.Context, device, name, keyFile string, o OpenOptions) error {
	args, err := o.args()
	if err == nil {
		err = checkOperands(device, keyFile)
	}
	if err == nil && !isToken(name) {
		err = fmt.Errorf("mapping name %q is not valid", name)
	}
	if err != nil {
		return fmt.Errorf("cryptsetup open %s: %w", device, err)
	}
	args = append([]string{"open", "--key-file", keyFile}, args...)
	return c.run(ctx, "open", device, append(args, device, name)...)
}

// Close removes the mapping name that Open made, with the devices under
// it (the dm-integrity device of an authenticated volume).
func (c *Cryptsetup) Close(ctx context.Context, name string, o CloseOptions) error {
	if !isToken(name) {
		return fmt.Errorf("cryptsetup close: mapping name %q is not valid", name)
	}
	return c.run(ctx, "close", name, append(append([]string{"close"}, o.args()...), name)...)
}

// checkOperands returns an error unless every path is absolute, so that
// none can be taken for a flag.
func checkOperands(paths ...string) error {
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			return fmt.Errorf("path %q is not absolute", p)
		}
	}
	return nil
}

// run runs cryptsetup with args; verb and subject name it in logs and
// errors. Arguments never carry a key (only the path of a key file), so
// they may be logged.
func (c *Cryptsetup) run(ctx context.Context, verb, subject string, args ...string) error {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	bin := c.Command
	if bin == "" {
		bin = "cryptsetup"
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	// Messages in English, whatever the daemon's locale.
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	run := c.Run
	if run == nil {
		run = (*exec.Cmd).CombinedOutput
	}
	log := c.log().WithFields(logrus.Fields{"command": verb, "subject": subject})
	log.WithField("args", args).Debug("running cryptsetup")
	out, err := run(cmd)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("timed out after %s: %w", timeout, err)
		}
		return fmt.Errorf("cryptsetup %s %s: %w: %s", verb, subject, err, trimOutput(out))
	}
	return nil
}

func (c *Cryptsetup) log() *logrus.Entry {
	if c.Log == nil {
		return logrus.NewEntry(logrus.StandardLogger())
	}
	return c.Log
}

// maxOutput bounds how much of a failed command's output goes into its
// error: enough for cryptsetup's message, never a flood.
const maxOutput = 4096

// trimOutput returns out without surrounding white space, its tail cut at
// maxOutput bytes.
func trimOutput(out []byte) string {
	s := strings.TrimSpace(string(out))
	if len(s) > maxOutput {
		s = "…" + s[len(s)-maxOutput:]
	}
	return s
}
