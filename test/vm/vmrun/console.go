package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// runTest boots the VM in test mode, mirrors its console to stdout and
// console.log, serves the control channel and judges the run.
func runTest(cmd *exec.Cmd, ctl *control, o options) (int, error) {
	consoleLog, err := os.Create(filepath.Join(o.work, "console.log"))
	if err != nil {
		return 2, err
	}
	defer consoleLog.Close()
	cmd.Stdin = nil // /dev/null
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 2, err
	}
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 2, err
	}
	go ctl.serve()
	v := newVerdict()
	lines := make(chan string)
	go func() {
		defer close(lines)
		r := bufio.NewReaderSize(stdout, 64*1024)
		for {
			l, err := r.ReadString('\n')
			if l != "" {
				lines <- strings.TrimRight(l, "\r\n")
			}
			if err != nil {
				return
			}
		}
	}()
	var deadline <-chan time.Time
	if o.timeout > 0 {
		t := time.NewTimer(o.timeout)
		defer t.Stop()
		deadline = t.C
	}
	timedOut := false
loop:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break loop
			}
			fmt.Println(l)
			fmt.Fprintln(consoleLog, l)
			v.line(l, time.Since(start))
		case <-deadline:
			timedOut = true
			say("TIMEOUT: the VM did not finish within %v; stopping qemu", o.timeout)
			cmd.Process.Signal(syscall.SIGTERM)
			go func() {
				time.Sleep(10 * time.Second)
				cmd.Process.Kill()
			}()
			deadline = nil
		}
	}
	waitErr := cmd.Wait()
	ctl.close()
	elapsed := time.Since(start)
	ok := v.report(o, waitErr, timedOut, elapsed, ctl)
	if !ok {
		tail(filepath.Join(o.work, "gcs.log"), 80)
		say("logs: %s/console.log, %s/gcs.log", o.work, o.work)
		say("RESULT: FAIL")
		return 1, nil
	}
	say("RESULT: PASS (%s in the VM)", elapsed.Round(100*time.Millisecond))
	return 0, nil
}

func tail(path string, n int) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	text := strings.TrimSpace(strings.ReplaceAll(string(b), "\r", ""))
	if text == "" {
		return
	}
	ls := strings.Split(text, "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	say("last %d lines of the GCS log (%s):", len(ls), path)
	for _, l := range ls {
		fmt.Println("  | " + l)
	}
}
