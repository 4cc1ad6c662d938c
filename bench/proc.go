package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// userHZ is the unit of utime and stime in /proc/PID/stat: USER_HZ, 100 on every Linux architecture
// Go runs on.
const userHZ = 100

// buildOdsim builds ./cmd/odsim of the module the bench runs in, into dir.
func buildOdsim(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find the odsim module: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(dir, "odsim")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/odsim")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build odsim: %w\n%s", err, out)
	}
	return bin, nil
}

// odsimProc is a running `odsim serve`.
type odsimProc struct {
	cmd    *exec.Cmd
	api    string // http://127.0.0.1:PORT
	stderr *logBuffer
	exited chan struct{}
}

// logBuffer keeps what odsim writes to stderr (its warnings), for error messages. It is written by
// the process's copier and read by the bench.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// counts returns how many lines were written, and how many of them hold substr.
func (l *logBuffer) counts(substr string) (lines, with int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for line := range strings.Lines(l.buf.String()) {
		lines++
		if strings.Contains(line, substr) {
			with++
		}
	}
	return lines, with
}

// String returns the last lines written, at most 4 KB.
func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buf.Bytes()
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(b)
}

// startOdsim runs `odsim serve --dsn dsn` as its own process on a free loopback port, as workstation
// BENCH, and waits until it answers /healthz.
func startOdsim(ctx context.Context, bin, dsn string, extra ...string) (*odsimProc, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("pick a port for odsim: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := append([]string{"serve", "--dsn", dsn, "--listen", addr, "--workstation", "BENCH", "--log-level", "warn"}, extra...)
	p := &odsimProc{cmd: exec.Command(bin, args...), api: "http://" + addr, stderr: &logBuffer{}, exited: make(chan struct{})}
	p.cmd.Stdout = &bytes.Buffer{}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start odsim: %w", err)
	}
	go func() {
		p.cmd.Wait()
		close(p.exited)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(p.api + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("odsim exited at start-up: %s", p.stderr.String())
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("odsim did not answer /healthz within 30s: %s", p.stderr.String())
		}
	}
}

func (p *odsimProc) pid() int { return p.cmd.Process.Pid }

// stop interrupts odsim as Ctrl-C would and waits for it, killing it after 10 s.
func (p *odsimProc) stop() {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// peakRSS is the process's peak resident set size (VmHWM), in bytes.
func peakRSS(pid int) (int64, error) { return procStatus(pid, "VmHWM:") }

// procStatus reads one of the memory fields of /proc/PID/status ("VmHWM:", "VmRSS:"), in bytes.
func procStatus(pid int, field string) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", field, err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("read %s: %q: %w", field, line, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("read %s: not in /proc/PID/status", field)
}

// cpuTime is the CPU time the process has used so far, user plus system (/proc/PID/stat).
func cpuTime(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time: %w", err)
	}
	// The command name, in parentheses, may hold spaces; the fields counted here follow it.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("read CPU time: malformed /proc/PID/stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	// After ")": state(3) ... utime is field 14 and stime field 15 of the whole line.
	if len(f) < 13 {
		return 0, errors.New("read CPU time: short /proc/PID/stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("read CPU time: %w", err)
	}
	return time.Duration(utime+stime) * time.Second / userHZ, nil
}
