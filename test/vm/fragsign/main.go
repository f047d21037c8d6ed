// Command fragsign signs security policy fragments in the test VM, for
// walking through the confidential flow by hand (README, "Confidential
// flow"): a throwaway CA and leaf, kept in a directory, and the did:x509
// issuer that names them. Never a real signing key.
//
//	fragsign [-dir DIR] [-cn NAME] issuer
//	fragsign [-dir DIR] [-cn NAME] -feed FEED [-svn N] policy > policy.rego
//	fragsign [-svn N] fragment SCRIPT... > fragment.rego
//	fragsign [-dir DIR] [-cn NAME] -feed FEED [-svn N] sign FILE.rego > FILE.cose
//
// policy prints a base policy letting fragments of the issuer on FEED
// from SVN N add containers (any overlay, the framework's container
// rules, everything else allowed); fragment prints a fragment offering
// one container per script, sh -c SCRIPT as "gcsctl run" makes it.
package main

import (
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
)

// The files of the key directory.
const (
	caFile   = "ca.der"
	leafFile = "leaf.der"
	keyFile  = "leaf.key"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fragsign:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("fragsign", flag.ContinueOnError)
	dir := fs.String("dir", "/root/fragment-ca", "directory of the throwaway CA and leaf (made on first use)")
	cn := fs.String("cn", "Test Fragments", "the leaf's subject CN (part of the issuer)")
	feed := fs.String("feed", "", "the fragment's feed (sign)")
	svn := fs.Int64("svn", 1, "the fragment's SVN in the signed header (sign)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() >= 2 && fs.Arg(0) == "fragment" {
		_, err := fmt.Fprint(stdout, fragmenttest.GcsctlRunFragment(strconv.FormatInt(*svn, 10), fs.Args()[1:]...))
		return err
	}
	s, err := signer(*dir, *cn)
	if err != nil {
		return err
	}
	switch {
	case fs.NArg() == 1 && fs.Arg(0) == "policy":
		if *feed == "" {
			return errors.New("policy wants -feed")
		}
		_, err := fmt.Fprint(stdout, fragmenttest.FeedPolicy(s.Issuer, *feed, strconv.FormatInt(*svn, 10)))
		return err
	case fs.NArg() == 1 && fs.Arg(0) == "issuer":
		_, err := fmt.Fprintln(stdout, s.Issuer)
		return err
	case fs.NArg() == 2 && fs.Arg(0) == "sign":
		if *feed == "" {
			return errors.New("sign wants -feed")
		}
		payload, err := os.ReadFile(fs.Arg(1))
		if err != nil {
			return err
		}
		raw, err := s.Envelope(fragmenttest.Claims{Issuer: s.Issuer, Feed: *feed, SVN: svn}, payload)
		if err != nil {
			return fmt.Errorf("sign %s: %w", fs.Arg(1), err)
		}
		_, err = stdout.Write(raw)
		return err
	}
	return errors.New("usage: fragsign [-dir DIR] [-cn NAME] [-feed FEED] [-svn N] issuer | policy | fragment SCRIPT... | sign FILE")
}

// signer loads the CA and leaf kept in dir, or makes and keeps them.
func signer(dir, cn string) (*fragmenttest.Signer, error) {
	s, err := load(dir, cn)
	if !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	if s, err = fragmenttest.New(cn); err != nil {
		return nil, err
	}
	key, err := x509.MarshalPKCS8PrivateKey(s.Key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	for name, data := range map[string][]byte{caFile: s.CA.Raw, leafFile: s.Leaf.Raw, keyFile: key} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func load(dir, cn string) (*fragmenttest.Signer, error) {
	var der [3][]byte
	for i, name := range []string{caFile, leafFile, keyFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		der[i] = b
	}
	ca, err := x509.ParseCertificate(der[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", caFile, err)
	}
	leaf, err := x509.ParseCertificate(der[1])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", leafFile, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der[2])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an ECDSA key", keyFile)
	}
	if leaf.Subject.CommonName != cn {
		return nil, fmt.Errorf("the leaf in %s is for CN %q, not %q", dir, leaf.Subject.CommonName, cn)
	}
	return &fragmenttest.Signer{CA: ca, Leaf: leaf, Key: key, Issuer: fragmenttest.IssuerOf(ca, cn)}, nil
}
