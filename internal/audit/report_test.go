package audit

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReportString(t *testing.T) {
	tests := []struct {
		name string
		rep  Report
		want string
	}{
		{"no chains", Report{}, "audit chains: 0 verified, 0 intact, 0 broken\n"},
		{"intact and broken chains", Report{Chains: []Chain{
			{OrgID: "org_a", Records: 10, HasHead: true, HeadSeq: 10},
			{OrgID: "org_b", Records: 5, HasHead: true, HeadSeq: 9, Problem: &Problem{
				OrgID: "org_b", Seq: 5, Kind: Removed,
				Detail: "record 5 is missing; the next is 6"}},
		}}, "audit chains: 2 verified, 1 intact, 1 broken\n" +
			"  org_a: ok, 10 records\n" +
			"  org_b: BROKEN at seq 5: removed: record 5 is missing; the next is 6\n" +
			"first problem: org org_b, seq 5: removed: " +
			"record 5 is missing; the next is 6\n"},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, tc.rep.String(), tc.name)
		_, broken := tc.rep.First()
		require.Equal(t, !broken, tc.rep.OK(), tc.name)
	}
}
