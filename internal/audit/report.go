package audit

import (
	"fmt"
	"strings"
)

// Kind names what is wrong with a chain.
type Kind string

// The kinds of problem Verify reports. Each is found at one record (or one
// missing record) whose Seq the Problem carries.
const (
	// Changed: a record's stored hash does not match its recomputed hash
	// (a field was edited in place); or a record whose hash checks out is
	// not the record its successor, or the chain head, links to (it was
	// rewritten and its hash recomputed); or the first record does not
	// start from store.GenesisHash. Seq is the rewritten record.
	Changed Kind = "changed"
	// Removed: the chain skips sequence numbers. Seq is the first missing
	// one.
	Removed Kind = "removed"
	// Reordered: an intact record sits at a sequence number other than the
	// one it was hashed with (rows were swapped or renumbered), or the
	// store returned records out of order. Seq is where it sits.
	Reordered Kind = "reordered"
	// Truncated: the chain ends before the seq its head records (its tail
	// was deleted). Seq is the first missing one.
	Truncated Kind = "truncated"
	// Unanchored: records exist that no head accounts for: the head row is
	// missing, or records follow the seq it records. Seq is the first
	// record not covered.
	Unanchored Kind = "unanchored"
)

// Problem is the first thing found wrong with one chain.
type Problem struct {
	OrgID  string
	Seq    int64
	Kind   Kind
	Detail string
}

// String returns the problem in one line.
func (p Problem) String() string {
	return fmt.Sprintf("org %s, seq %d: %s: %s", p.OrgID, p.Seq, p.Kind, p.Detail)
}

// Chain is the outcome of verifying one organisation's chain.
type Chain struct {
	OrgID string
	// Records is how many records were read: all of them when the chain
	// is intact, up to the first problem otherwise.
	Records int64
	// HasHead says whether a head row exists; HeadSeq is its seq.
	HasHead bool
	HeadSeq int64
	// Problem is the first problem found, nil when the chain is intact.
	Problem *Problem
}

// Report is the outcome of verifying every chain.
type Report struct {
	// Chains holds one entry per organisation, ordered by organisation id.
	Chains []Chain
}

// OK reports whether every chain is intact.
func (r Report) OK() bool {
	_, broken := r.First()
	return !broken
}

// First returns the first problem in organisation id order, and whether
// there is one.
func (r Report) First() (Problem, bool) {
	for _, c := range r.Chains {
		if c.Problem != nil {
			return *c.Problem, true
		}
	}
	return Problem{}, false
}

// String returns the report for people: a summary line, one line per
// chain, and the first problem again at the end when there is one.
func (r Report) String() string {
	var b strings.Builder
	broken := 0
	for _, c := range r.Chains {
		if c.Problem != nil {
			broken++
		}
	}
	fmt.Fprintf(&b, "audit chains: %d verified, %d intact, %d broken\n",
		len(r.Chains), len(r.Chains)-broken, broken)

	for _, c := range r.Chains {
		if c.Problem == nil {
			fmt.Fprintf(&b, "  %s: ok, %d records\n", c.OrgID, c.Records)
			continue
		}
		fmt.Fprintf(&b, "  %s: BROKEN at seq %d: %s: %s\n",
			c.OrgID, c.Problem.Seq, c.Problem.Kind, c.Problem.Detail)
	}

	if p, ok := r.First(); ok {
		fmt.Fprintf(&b, "first problem: %s\n", p)
	}
	return b.String()
}
