package fragment

import (
	"testing"

	"github.com/linux-gcs/gcs/internal/policy/fragment/fragmenttest"
)

// FuzzVerify feeds Verify arbitrary envelopes: it must refuse or accept,
// never panic. Seeds: a good envelope, its halves, a bare tag.
func FuzzVerify(f *testing.F) {
	s := fragmenttest.NewSigner(f, "Contoso Fragments")
	good := s.Sign(f, fragmenttest.Claims{Issuer: s.Issuer, Feed: "contoso/app", SVN: fragmenttest.SVN(1)}, []byte("package app\n"))
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(good[len(good)/2:])
	f.Add([]byte{0xd2, 0x84})
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := Verify(raw)
		if err == nil && (e.Issuer == "" || e.Feed == "" || len(e.Chain) == 0) {
			t.Fatalf("accepted an envelope without issuer, feed or chain: %+v", e)
		}
	})
}
