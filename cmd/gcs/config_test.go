package main

import (
	"io"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/testutil"
)

// TestBridgeFlag: -bridge takes what --help and the README say (vsock,
// unix, tcp); stdio is -use-inouterr's, and a -bridge naming it, which can
// be neither dialed nor listened on, is refused at start-up rather than
// left for the daemon to stop on at once.
func TestBridgeFlag(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantErr string // "" accepted
	}{
		{[]string{"-bridge", "unix:///run/gcs.sock"}, ""},
		{[]string{"-bridge", "tcp://127.0.0.1:7000"}, ""},
		{[]string{"-listen", "-bridge", "tcp://127.0.0.1:0"}, ""},
		{[]string{"-bridge", "vsock://2:1073741824"}, ""},
		{[]string{"-bridge", "stdio://"}, "-use-inouterr"},
		{[]string{"-bridge", "-"}, "-use-inouterr"},
		{[]string{"-listen", "-bridge", "stdio://"}, "-use-inouterr"},
		{[]string{"-bridge", "udp://127.0.0.1:1"}, "unknown network"},
		// -use-inouterr carries the bridge; -bridge is not used.
		{[]string{"-use-inouterr", "-bridge", "stdio://"}, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			o, err := parseFlags(tc.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			_, err = o.config(nil, nil, testutil.Logger(t))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}
