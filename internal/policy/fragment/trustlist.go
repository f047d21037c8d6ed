package fragment

import (
	"context"
	"fmt"
	"slices"

	"github.com/fxamacker/cbor/v2"
	"github.com/linux-gcs/gcs/internal/policy"
)

// ledgerKeys is the attribute of a trust list's ledger entry that holds
// the ledger's COSE_KeySet.
const ledgerKeys = 1

// decodeStrict refuses duplicate map keys and streaming lengths.
var decodeStrict = func() cbor.DecMode {
	m, err := cbor.DecOptions{DupMapKey: cbor.DupMapKeyEnforcedAPF, IndefLength: cbor.IndefLengthForbidden}.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// trustListLedgers reads the ledgers a transparency trust list names: its
// payload is a CBOR map from ledger to an entry whose attribute 1 is the
// ledger's key set.
func trustListLedgers(payload []byte) ([]string, error) {
	var entries map[string]cbor.RawMessage
	if err := decodeStrict.Unmarshal(payload, &entries); err != nil {
		return nil, fmt.Errorf("parse transparency trust list: %w", err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("transparency trust list names no ledger")
	}
	ledgers := make([]string, 0, len(entries))
	for ledger, raw := range entries {
		var entry map[int64]cbor.RawMessage
		if err := decodeStrict.Unmarshal(raw, &entry); err != nil {
			return nil, fmt.Errorf("transparency trust list entry for %q: %w", clip(ledger), err)
		}
		if _, ok := entry[ledgerKeys]; !ok {
			return nil, fmt.Errorf("transparency trust list entry for %q has no keys", clip(ledger))
		}
		ledgers = append(ledgers, ledger)
	}
	slices.Sort(ledgers)
	return ledgers, nil
}

// loadTrustList offers a verified trust list to the policy. Its keys are
// not kept: receipts are not validated yet.
func loadTrustList(ctx context.Context, e policy.Enforcer, env *Envelope) error {
	if env.SVN == nil {
		return errNoTrustListSVN
	}
	ledgers, err := trustListLedgers(env.Payload)
	if err != nil {
		return err
	}
	d, err := e.LoadTransparencyTrustList(ctx, policy.LoadTransparencyTrustList{
		Issuer: env.Issuer, Subject: env.Feed, SVN: *env.SVN, Ledgers: ledgers,
	})
	if err != nil {
		return refused("transparency trust list", err)
	}
	d.Commit()
	return nil
}
