package fragment

import (
	"context"
	"fmt"
	"testing"

	"github.com/linux-gcs/gcs/internal/policy"
	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
)

// twoFeedPolicy admits fragments of issuer on feed (containers) and on
// feed+"/ext" (external processes only).
func twoFeedPolicy(issuer string) string {
	return fmt.Sprintf(`package policy

api_version := "0.12.0"
framework_version := "0.5.0"

fragments := [
	{"issuer": %[1]q, "feed": %[2]q, "minimum_svn": "2", "includes": ["containers"]},
	{"issuer": %[1]q, "feed": %[3]q, "minimum_svn": "2", "includes": ["external_processes"]},
]

containers := []

mount_device := data.framework.mount_device
mount_overlay := data.framework.mount_overlay
create_container := data.framework.create_container
load_fragment := data.framework.load_fragment
reason := data.framework.reason
`, issuer, feed, feed+"/ext")
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
		t.Logf("first=%v: inject: %v", first, err)
		if err := runApp(ctx, p); err == nil {
			t.Errorf("first=%v: a container came in through the external-processes feed", first)
		}
	}
}
