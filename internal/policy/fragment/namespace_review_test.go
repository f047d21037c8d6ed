package fragment

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
)

// twoFeedPolicy is testPolicy admitting also fragments of issuer on
// feed+"/ext", for external processes only.
func twoFeedPolicy(issuer string) string {
	one := fmt.Sprintf(`{"issuer": %q, "feed": %q, "minimum_svn": "2", "includes": ["containers"]}`, issuer, feed)
	two := fmt.Sprintf(`{"issuer": %q, "feed": %q, "minimum_svn": "2", "includes": ["external_processes"]}`, issuer, feed+"/ext")
	return strings.Replace(testPolicy(issuer), one, one+", "+two, 1)
}

// TestReviewNamespaceOfAnotherFeed: a fragment trusted only for external
// processes cannot bring containers in by declaring the namespace of the
// fragment trusted for containers, before or after that one is loaded.
func TestReviewNamespaceOfAnotherFeed(t *testing.T) {
	ctx := context.Background()
	s := fragmenttest.NewSigner(t, "Test")
	for _, first := range []bool{false, true} {
		p, err := policy.NewRego(ctx, twoFeedPolicy(s.Issuer), policy.Options{Log: quietLog()})
		if err != nil {
			t.Fatal(err)
		}
		in := NewInjector(t.TempDir(), quietLog())
		if first {
			empty := s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: feed, SVN: fragmenttest.SVN(2)},
				[]byte("package app\n\nsvn := \"2\"\nframework_version := \"0.5.0\"\n\ncontainers := []\n"))
			if err := in.Inject(ctx, p, "", encode(empty)); err != nil {
				t.Fatal(err)
			}
		}
		smuggler := s.Sign(t, fragmenttest.Claims{Issuer: s.Issuer, Feed: feed + "/ext", SVN: fragmenttest.SVN(2)}, []byte(fragmentRego("2")))
		err = in.Inject(ctx, p, "", encode(smuggler))
		if err != nil {
			t.Fatalf("first=%v: the external-processes feed refused: %v", first, err)
		}
		if err := runApp(ctx, p); err == nil {
			t.Errorf("first=%v: a container came in through the external-processes feed", first)
		}
	}
}
