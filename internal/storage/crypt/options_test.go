package crypt

import (
	"slices"
	"strings"
	"testing"
)

func TestFormatArgs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		o       FormatOptions
		want    string
		wantErr string
	}{
		{name: "scratch", o: ScratchFormat(),
			want: "--type luks2 --cipher aes-xts-plain64 --integrity hmac-sha256 --pbkdf pbkdf2 --integrity-no-wipe --sector-size 4096 --pbkdf-force-iterations 1000"},
		{name: "defaults", o: FormatOptions{}, want: ""},
		{name: "key size", o: FormatOptions{Type: "luks1", KeySize: 512}, want: "--type luks1 --key-size 512"},
		{name: "integrity needs luks2", o: FormatOptions{Type: "luks1", Integrity: "hmac-sha256"}, wantErr: "needs type luks2"},
		{name: "no wipe without integrity", o: FormatOptions{IntegrityNoWipe: true}, wantErr: "without integrity"},
		{name: "cipher that is a flag", o: FormatOptions{Cipher: "--debug"}, wantErr: `--cipher "--debug"`},
		{name: "cipher with a space", o: FormatOptions{Cipher: "aes xts"}, wantErr: "not valid"},
		{name: "sector size not a power of two", o: FormatOptions{SectorSize: 3000}, wantErr: "--sector-size 3000"},
		{name: "sector size too big", o: FormatOptions{SectorSize: 8192}, wantErr: "--sector-size 8192"},
		{name: "negative iterations", o: FormatOptions{PBKDFIterations: -1}, wantErr: "--pbkdf-force-iterations -1"},
		{name: "odd key size", o: FormatOptions{KeySize: 100}, wantErr: "--key-size 100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args, err := tc.o.args()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(args, " "); got != tc.want {
				t.Errorf("args\n %s\nwant\n %s", got, tc.want)
			}
		})
	}
}

func TestOpenAndCloseArgs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    func() ([]string, error)
		want    []string
		wantErr bool
	}{
		{"scratch open", ScratchOpen().args, []string{"--type", "luks2", "--integrity-no-journal"}, false},
		{"open defaults", OpenOptions{}.args, []string{"--type", "luks2"}, false},
		{"open bad type", OpenOptions{Type: "-x"}.args, nil, true},
		{"close", func() ([]string, error) { return CloseOptions{}.args(), nil }, nil, false},
		{"close deferred", func() ([]string, error) { return CloseOptions{Deferred: true}.args(), nil }, []string{"--deferred"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.args()
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want one: %v", err, tc.wantErr)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("args %q, want %q", got, tc.want)
			}
		})
	}
}
