package audit

import (
	"fmt"

	"github.com/agentidp/agentidp/internal/store"
)

// walker checks one chain record by record.
type walker struct {
	chain Chain
	head  *store.AuditHead
	last  store.AuditRecord // the last record that checked out
	seen  bool              // whether last is set
}

// step checks the next record, stopping the walk at the first problem.
func (w *walker) step(r store.AuditRecord) error {
	w.chain.Records++
	if p := w.check(r); p != nil {
		w.chain.Problem = p
		return errStop
	}
	w.last, w.seen = r, true
	return nil
}

// check returns what is wrong with r given the records before it. The
// order of the checks decides the kind reported when several apply: a
// record that does not hash right is examined first, since its seq and
// links cannot be trusted.
func (w *walker) check(r store.AuditRecord) *Problem {
	wantSeq, wantPrev := int64(1), store.GenesisHash
	if w.seen {
		wantSeq, wantPrev = w.last.Seq+1, w.last.Hash
	}

	switch {
	case w.seen && r.Seq <= w.last.Seq:
		return w.problem(r.Seq, Reordered, "seq %d was read after seq %d", r.Seq, w.last.Seq)
	case r.Hash != store.ChainHash(r.PrevHash, r.AuditEntry, r.Seq):
		return w.mismatch(r)
	case r.Seq > wantSeq:
		return w.problem(wantSeq, Removed, "%s missing; the next is %d",
			span(wantSeq, r.Seq-1), r.Seq)
	case r.PrevHash != wantPrev && r.Seq == 1:
		return w.problem(1, Changed, "the first record does not start from the genesis hash")
	case r.PrevHash != wantPrev:
		return w.problem(w.last.Seq, Changed,
			"record %d is not the record %d links to: it was rewritten and its hash "+
				"recomputed", w.last.Seq, r.Seq)
	}
	return nil
}

// maxMoveSearch bounds the seqs tried for a moved record, so that a head
// tampered to claim a huge seq cannot make the search endless. A record
// moved from further away is reported as changed.
const maxMoveSearch = 1 << 24

// mismatch classifies a record whose stored hash does not match its
// contents: if it hashes right at another seq, up to the head's (or the
// next expected one), it is intact but moved; otherwise it was edited.
func (w *walker) mismatch(r store.AuditRecord) *Problem {
	limit := w.last.Seq + 1
	if w.head != nil {
		limit = max(limit, w.head.Seq)
	}
	limit = min(limit, maxMoveSearch)
	for s := int64(1); s <= limit; s++ {
		if s != r.Seq && store.ChainHash(r.PrevHash, r.AuditEntry, s) == r.Hash {
			return w.problem(r.Seq, Reordered,
				"the record stored at seq %d was written as seq %d", r.Seq, s)
		}
	}
	return w.problem(r.Seq, Changed, "the stored hash does not match the record's contents")
}

// checkHead compares the end of an intact walk with the recorded head.
func (w *walker) checkHead() *Problem {
	h, last := w.head, w.last.Seq
	switch {
	case h == nil && w.seen:
		return w.problem(1, Unanchored, "%s present but the chain has no head", span(1, last))
	case h == nil:
		return nil
	case last < h.Seq:
		return w.problem(last+1, Truncated, "the chain ends at seq %d but its head records %d",
			last, h.Seq)
	case last > h.Seq:
		return w.problem(h.Seq+1, Unanchored, "%s past the head's seq %d",
			span(h.Seq+1, last), h.Seq)
	case w.seen && w.last.Hash != h.Hash:
		return w.problem(last, Changed, "record %d is not the record the head links to: "+
			"it was rewritten and its hash recomputed", last)
	}
	return nil
}

// problem builds a Problem of this chain.
func (w *walker) problem(seq int64, kind Kind, format string, args ...any) *Problem {
	return &Problem{OrgID: w.chain.OrgID, Seq: seq, Kind: kind,
		Detail: fmt.Sprintf(format, args...)}
}

// span names the records from to to, with the verb's number: "record 5
// is", "records 5 to 7 are".
func span(from, to int64) string {
	if from == to {
		return fmt.Sprintf("record %d is", from)
	}
	return fmt.Sprintf("records %d to %d are", from, to)
}
