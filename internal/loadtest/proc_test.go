package loadtest

import (
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    int64
		wantErr bool
	}{
		{"utime and stime are added",
			"42 (agentidp) S 1 42 42 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 9 0 77 0 0", 281, false},
		{"a command with spaces and parentheses is skipped whole",
			"7 (a) b (c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0", 7, false},
		{"a line cut short is refused", "42 (x) S 1 42 42 0 -1 0 0 0 0 0 5", 0, true},
		{"no command is refused", "42 x S 1", 0, true},
		{"a word for utime is refused", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 u 4 0", 0, true},
		{"an absurd tick count is refused",
			"1 (x) S 1 1 1 0 -1 0 0 0 0 0 9223372036854775807 1 0", 0, true},
		{"a negative tick count is refused", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 5 -1 0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.raw))
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseStatusRSS(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    int64
		wantErr bool
	}{
		{"VmRSS in kB becomes bytes", "Name:\tx\nVmHWM:\t  900 kB\nVmRSS:\t  812 kB\n", 812 << 10, false},
		{"a missing VmRSS is refused", "Name:\tx\nVmHWM:\t900 kB\n", 0, true},
		{"another unit is refused", "VmRSS:\t812 MB\n", 0, true},
		{"a negative size is refused", "VmRSS:\t-1 kB\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatusRSS([]byte(tt.raw))
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseAuxv(t *testing.T) {
	vec := func(words ...uint64) []byte {
		var b []byte
		for _, w := range words {
			b = binary.NativeEndian.AppendUint64(b, w)
		}
		return b
	}
	got, ok := parseAuxv(vec(6, 4096, 17, 250, 0, 0), 8, atClockTick)
	require.True(t, ok)
	require.Equal(t, uint64(250), got)

	_, ok = parseAuxv(vec(6, 4096, 0, 0, 17, 250), 8, atClockTick)
	require.False(t, ok, "entries after AT_NULL do not count")
	_, ok = parseAuxv(vec(6, 4096)[:12], 8, atClockTick)
	require.False(t, ok)
	_, ok = parseAuxv(vec(17, 100), 3, atClockTick)
	require.False(t, ok)
}

func TestOwnProcess(t *testing.T) {
	hz := ClockTicks()
	require.Positive(t, hz)

	cpu, err := CPUTime(os.Getpid())
	require.NoError(t, err)
	require.GreaterOrEqual(t, cpu, time.Duration(0))

	rss, err := RSS(os.Getpid())
	require.NoError(t, err)
	require.Positive(t, rss)

	_, err = CPUTime(-1)
	require.Error(t, err)
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("42 (agentidp) S 1 42 42 0 -1 4194560 100 0 0 0 250 31 0 0 20 0"))
	f.Add([]byte("7 (a) b (c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if n, err := parseStat(raw); err == nil {
			require.GreaterOrEqual(t, n, int64(0))
		}
	})
}

func FuzzParseStatusRSS(f *testing.F) {
	f.Add([]byte("Name:\tx\nVmRSS:\t  812 kB\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if n, err := parseStatusRSS(raw); err == nil {
			require.GreaterOrEqual(t, n, int64(0))
		}
	})
}

func FuzzParseAuxv(f *testing.F) {
	f.Add(binary.NativeEndian.AppendUint64(binary.NativeEndian.AppendUint64(nil, 17), 100), 8)
	f.Fuzz(func(_ *testing.T, raw []byte, word int) {
		_, _ = parseAuxv(raw, word, atClockTick)
	})
}
