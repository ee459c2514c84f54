package loadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// announceTimeout bounds how long StartChild waits for the first line.
const announceTimeout = 30 * time.Second

// maxAnnouncement bounds the first line a child prints.
const maxAnnouncement = 64 << 10

// Child is a helper process: this same binary, started with a hidden first
// argument, that announces itself with one line on stdout. It holds the
// child's stdin open; a child that calls ExitWithParent ends when that
// closes, so it does not outlive a parent that was killed.
type Child struct {
	cmd   *exec.Cmd
	stdin io.Closer
}

// StartChild starts this binary with args, sends its stderr to ours, and
// returns it with the first line it printed on stdout (without the
// newline). It fails when the child prints no line within 30 s or before
// ctx ends.
func StartChild(ctx context.Context, args ...string) (*Child, []byte, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, fmt.Errorf("find this executable: %w", err)
	}
	//nolint:gosec // G204: runs this same binary with arguments the tool chose.
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, fmt.Errorf("open the child's stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, fmt.Errorf("open the child's stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start the child: %w", err)
	}
	c := &Child{cmd: cmd, stdin: stdin}

	line, err := firstLine(ctx, stdout)
	if err != nil {
		c.Stop()
		return nil, nil, fmt.Errorf("read the child's announcement: %w", err)
	}
	return c, line, nil
}

// firstLine reads one bounded line from r, giving up after announceTimeout
// or when ctx ends (the caller then kills the writer, which unblocks the
// read).
func firstLine(ctx context.Context, r io.Reader) ([]byte, error) {
	type read struct {
		line []byte
		err  error
	}
	got := make(chan read, 1)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 4096), maxAnnouncement)
		if sc.Scan() {
			got <- read{line: sc.Bytes()}
			go func() { _, _ = io.Copy(io.Discard, r) }()
			return
		}
		err := sc.Err()
		if err == nil {
			err = errors.New("the child exited without a word")
		}
		got <- read{err: err}
	}()

	t := time.NewTimer(announceTimeout)
	defer t.Stop()
	select {
	case g := <-got:
		return g.line, g.err
	case <-t.C:
		return nil, errors.New("the child printed nothing in time")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// PID returns the child's process id.
func (c *Child) PID() int {
	return c.cmd.Process.Pid
}

// Stop kills the child and waits for it to end. It may be called once.
func (c *Child) Stop() {
	_ = c.stdin.Close()
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}

// ExitWithParent is for the child: it reads stdin in the background and
// exits the process when stdin ends, which happens when the parent called
// Stop or died.
func ExitWithParent(stdin io.Reader) {
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		os.Exit(0)
	}()
}
