package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// GenesisHash is the PrevHash of the first record of every chain.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// chainVersion prefixes the canonical encoding so that a future change of
// the encoding cannot be confused with this one.
const chainVersion = "agentidp-audit-v1"

// Canonical returns the canonical encoding of an audit record and the hash
// of the record before it:
// every field as a 4-byte big-endian length followed by its bytes, in a
// fixed order, so that no two different records encode alike.
func Canonical(prevHash string, e AuditEntry, seq int64) []byte {
	fields := []string{
		chainVersion,
		prevHash,
		e.OrgID,
		itoa(seq),
		e.Time.UTC().Format(time.RFC3339Nano),
		e.Actor,
		e.Action,
		e.Target,
		e.RequestID,
		string(e.Outcome),
	}
	n := 0
	for _, f := range fields {
		n += 4 + len(f)
	}
	buf := make([]byte, 0, n)
	for _, f := range fields {
		//nolint:gosec // G115: a length is never negative, and request limits keep every field far below 4 GiB.
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(f)))
		buf = append(buf, f...)
	}
	return buf
}

// ChainHash returns the hex SHA-256 of the canonical encoding of a record
// linked to the previous record's hash.
func ChainHash(prevHash string, e AuditEntry, seq int64) string {
	sum := sha256.Sum256(Canonical(prevHash, e, seq))
	return hex.EncodeToString(sum[:])
}

func itoa(n int64) string {
	//nolint:gosec // G115: the bit pattern is what is hashed; sequence numbers start at 1.
	return string(binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// Truncate returns t in UTC at the microsecond precision every backend
// stores, so that values read back compare equal to values written.
func Truncate(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}
