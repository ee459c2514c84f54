package loadtest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// maxProcFileSize bounds how much of a /proc file is read.
const maxProcFileSize = 64 << 10

// defaultClockTicks is USER_HZ on every mainstream Linux build, used when
// the auxiliary vector cannot be read.
const defaultClockTicks = 100

// atClockTick is AT_CLKTCK, the auxiliary vector entry that carries the
// frequency of times() and of the tick counts in /proc/<pid>/stat.
const atClockTick = 17

// ClockTicks returns the kernel's clock ticks per second (what
// `getconf CLK_TCK` prints), read from AT_CLKTCK in /proc/self/auxv, or
// 100 when that cannot be read. It is read once and then remembered.
var ClockTicks = sync.OnceValue(func() int64 {
	raw, err := readBounded("/proc/self/auxv", maxProcFileSize)
	if err != nil {
		return defaultClockTicks
	}
	if hz, ok := parseAuxv(raw, strconv.IntSize/8, atClockTick); ok && hz > 0 && hz < 1e6 {
		return int64(hz)
	}
	return defaultClockTicks
})

// CPUTime returns the user plus system CPU time the process pid has used
// so far, from utime and stime in /proc/<pid>/stat.
func CPUTime(pid int) (time.Duration, error) {
	raw, err := readBounded("/proc/"+strconv.Itoa(pid)+"/stat", maxProcFileSize)
	if err != nil {
		return 0, fmt.Errorf("read process stat: %w", err)
	}
	ticks, err := parseStat(raw)
	if err != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	hz := ClockTicks()
	return time.Duration(ticks/hz)*time.Second +
		time.Duration(ticks%hz)*time.Second/time.Duration(hz), nil
}

// RSS returns the resident set size of the process pid in bytes, from
// VmRSS in /proc/<pid>/status.
func RSS(pid int) (int64, error) {
	raw, err := readBounded("/proc/"+strconv.Itoa(pid)+"/status", maxProcFileSize)
	if err != nil {
		return 0, fmt.Errorf("read process status: %w", err)
	}
	rss, err := parseStatusRSS(raw)
	if err != nil {
		return 0, fmt.Errorf("parse /proc/%d/status: %w", pid, err)
	}
	return rss, nil
}

var errProcFormat = errors.New("unexpected format")

// parseStat returns utime+stime, in clock ticks, from the contents of
// /proc/<pid>/stat. The command name (field 2) is in parentheses and may
// itself hold spaces and parentheses, so fields are counted from the last
// closing parenthesis: state is field 3, utime 14 and stime 15.
func parseStat(raw []byte) (int64, error) {
	end := bytes.LastIndexByte(raw, ')')
	if end < 0 {
		return 0, errProcFormat
	}
	fields := bytes.Fields(raw[end+1:])
	const utime, stime = 14 - 3, 15 - 3
	if len(fields) <= stime {
		return 0, errProcFormat
	}
	// A tick count past 2^50 is centuries of CPU: refuse it, and the sum
	// cannot overflow.
	const maxTicks = 1 << 50
	u, err := strconv.ParseInt(string(fields[utime]), 10, 64)
	if err != nil || u < 0 || u > maxTicks {
		return 0, errProcFormat
	}
	s, err := strconv.ParseInt(string(fields[stime]), 10, 64)
	if err != nil || s < 0 || s > maxTicks {
		return 0, errProcFormat
	}
	return u + s, nil
}

// parseStatusRSS returns VmRSS in bytes from the contents of
// /proc/<pid>/status, where it reads like "VmRSS:	   12345 kB".
func parseStatusRSS(raw []byte) (int64, error) {
	for line := range bytes.Lines(raw) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || !bytes.Equal(f[1], []byte("kB")) {
			return 0, errProcFormat
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || kb < 0 || kb > 1<<43 {
			return 0, errProcFormat
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no VmRSS line: %w", errProcFormat)
}

// parseAuxv looks key up in an auxiliary vector: pairs of native-endian
// words of wordSize bytes, ending at an AT_NULL key.
func parseAuxv(raw []byte, wordSize int, key uint64) (uint64, bool) {
	word := func(b []byte) uint64 {
		if wordSize == 4 {
			return uint64(binary.NativeEndian.Uint32(b))
		}
		return binary.NativeEndian.Uint64(b)
	}
	if wordSize != 4 && wordSize != 8 {
		return 0, false
	}
	for ; len(raw) >= 2*wordSize; raw = raw[2*wordSize:] {
		k := word(raw)
		if k == 0 {
			return 0, false
		}
		if k == key {
			return word(raw[wordSize:]), true
		}
	}
	return 0, false
}

// readBounded reads at most limit bytes of the file at path and fails when
// the file is longer.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path) //nolint:gosec // G304: paths come from the operator or are /proc files.
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("%s is longer than %d bytes", path, limit)
	}
	return raw, nil
}
