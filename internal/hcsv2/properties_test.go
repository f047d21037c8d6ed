package hcsv2

import (
	"slices"
	"testing"

	"github.com/linux-gcs/gcs/internal/prot"
)

func TestAnsweredTypes(t *testing.T) {
	many := make([]prot.PropertyType, 250000)
	for i := range many {
		many[i] = prot.PtStatistics
	}
	for _, tc := range []struct {
		name  string
		types []prot.PropertyType
		want  []prot.PropertyType
	}{
		{"none", nil, nil},
		{"one", []prot.PropertyType{prot.PtStatistics}, []prot.PropertyType{prot.PtStatistics}},
		{"both, in the query's order", []prot.PropertyType{prot.PtStatistics, prot.PtProcessList},
			[]prot.PropertyType{prot.PtStatistics, prot.PtProcessList}},
		{"repeats kept once, where they first appear",
			[]prot.PropertyType{prot.PtProcessList, prot.PtStatistics, prot.PtProcessList, prot.PtStatistics},
			[]prot.PropertyType{prot.PtProcessList, prot.PtStatistics}},
		{"unknown and empty types dropped", []prot.PropertyType{"Memory", "", prot.PtProcessList, "statistics"},
			[]prot.PropertyType{prot.PtProcessList}},
		{"as many as a 4 MiB body holds", many, []prot.PropertyType{prot.PtStatistics}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := answeredTypes(tc.types); !slices.Equal(got, tc.want) {
				t.Errorf("answeredTypes of %d types = %v, want %v", len(tc.types), got, tc.want)
			}
		})
	}
}
