package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/odsim/odsim/receiver"
)

// signalled is the real odsim binary, run until a line matches, then sent a signal.
type signalled struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	mu     sync.Mutex
	out    []string // stdout and stderr lines, as they come
	seen   chan struct{}
}

func startSignalled(t *testing.T, args ...string) *signalled {
	t.Helper()
	return startBinary(t, nil, args...)
}

// startBinary runs the odsim binary with args and, besides the test's own environment, the variables
// in env ("NAME=value").
func startBinary(t *testing.T, env []string, args ...string) *signalled {
	t.Helper()
	p := &signalled{cmd: exec.Command(odsimBinary(t), args...), seen: make(chan struct{}, 1)}
	p.cmd.Env = append(os.Environ(), env...)
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var readers sync.WaitGroup
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill() // a no-op when stop already ended it
		readers.Wait()
	})
	for _, r := range []struct {
		pipe   interface{ Read([]byte) (int, error) }
		stderr bool
	}{{stdout, false}, {stderr, true}} {
		readers.Add(1)
		go func() {
			defer readers.Done()
			sc := bufio.NewScanner(r.pipe)
			for sc.Scan() {
				p.mu.Lock()
				p.out = append(p.out, sc.Text())
				if r.stderr {
					p.stderr.WriteString(sc.Text() + "\n")
				}
				p.mu.Unlock()
				select {
				case p.seen <- struct{}{}:
				default:
				}
			}
		}()
	}
	return p
}

// waitFor waits up to 30 s for a line matching re and returns its first submatch (or the line).
func (p *signalled) waitFor(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		p.mu.Lock()
		for _, l := range p.out {
			if m := re.FindStringSubmatch(l); m != nil {
				p.mu.Unlock()
				return m[len(m)-1]
			}
		}
		all := strings.Join(p.out, "\n")
		p.mu.Unlock()
		select {
		case <-p.seen:
		case <-deadline:
			t.Fatalf("no line matching %v within 30s:\n%s", re, all)
		}
	}
}

// stop sends sig and returns the exit status and stderr once the process ended.
func (p *signalled) stop(t *testing.T, sig os.Signal) (int, string) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("odsim did not end within 30s of %v", sig)
	}
	var ee *exec.ExitError
	code := 0
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return code, p.stderr.String()
}

// TestCtrlCEndsCleanly sends a real SIGINT (and SIGTERM) to the real binary in the middle of replay,
// replay --deliveries, simulate and listen: each ends with one line saying what it did, and 128 + the
// signal's number, never a raw "context canceled".
func TestCtrlCEndsCleanly(t *testing.T) {
	t.Parallel()
	dsn := demoDSN(t)
	dir := t.TempDir()

	scenarioFile := filepath.Join(dir, "slow.yaml")
	if err := os.WriteFile(scenarioFile, []byte("steps:\n  - update-patient: {patient: 1, HmPhone: \"(217)555-0101\"}\n  - at: 1h\n    update-patient: {patient: 2, HmPhone: \"(217)555-0102\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(rc.Close)
	var recorded bytes.Buffer
	for i, gap := range []time.Duration{0, time.Hour} {
		line, _ := receiver.Delivery{Time: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC).Add(gap), Method: "POST", Path: "/",
			Headers: http.Header{"Event-Type": {"WatchTable: Patient"}}, Body: []byte(fmt.Sprintf(`[{"PatNum":%d}]`, i+1)), Status: 200}.MarshalJSON()
		recorded.Write(append(line, '\n'))
	}
	deliveriesFile := filepath.Join(dir, "rec.jsonl")
	if err := os.WriteFile(deliveriesFile, recorded.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		args   []string
		ready  string // a line printed once the command is under way
		sig    syscall.Signal
		status int
		last   string // the start of the last line on stderr
	}{
		{"replay", []string{"replay", scenarioFile, "--speed", "1", "--dsn", dsn, "--url="}, `^\[1/2\] `, syscall.SIGINT, 130,
			"odsim replay: interrupted after 1 of 2 step runs of slow were applied (each step is one transaction"},
		{"replay --deliveries", []string{"replay", "--deliveries", deliveriesFile, "--to", rc.URL, "--speed", "1"}, `^line 1  POST `, syscall.SIGINT, 130,
			"odsim replay: interrupted before line 2: 1 sent: 1 answered 200, 0 not; 0 unreadable lines"},
		{"simulate", []string{"simulate", "--rate", "1", "--seed", "3", "--dsn", dsn, "--url="}, `^\d\d:\d\d:\d\d  \S`, syscall.SIGINT, 130,
			"odsim simulate: interrupted after "},
		{"listen", []string{"listen", "--addr", "127.0.0.1:0"}, `receiving webhook deliveries on`, syscall.SIGINT, 130,
			"odsim listen: interrupted after receiving 0 deliveries"},
		{"listen SIGTERM", []string{"listen", "--addr", "127.0.0.1:0"}, `receiving webhook deliveries on`, syscall.SIGTERM, 143,
			"odsim listen: interrupted after receiving 0 deliveries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startSignalled(t, tt.args...)
			p.waitFor(t, regexp.MustCompile(tt.ready))
			status, stderr := p.stop(t, tt.sig)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if status != tt.status || !strings.HasPrefix(lines[len(lines)-1], tt.last) {
				t.Errorf("exit status %d, last stderr line %q; want %d and %q", status, lines[len(lines)-1], tt.status, tt.last)
			}
			if strings.Contains(stderr, "context canceled") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("stderr:\n%s", stderr)
			}
		})
	}
}

// TestVersionFromBuildInfo: --version of a binary built in a git checkout names the module version and
// the revision it was built from, not "dev". The go command does not stamp builds in a git worktree,
// so the test commits a copy of the working tree to a fresh repository and builds there.
func TestVersionFromBuildInfo(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skipf("needs git to make a checkout whose revision the build stamps: %v", err)
	}
	files, err := exec.Command("git", "-C", "../..", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("needs the source as a git checkout: %v", err)
	}
	repo := t.TempDir()
	for _, name := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join("..", "..", name))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(repo, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=odsim test", "-c", "user.email=test@odsim.invalid"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "snapshot")
	rev := git("rev-parse", "HEAD")

	bin := filepath.Join(t.TempDir(), "odsim")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./cmd/odsim")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=true: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^odsim v0\.0\.0-\d{14}-` + rev[:12] + ` \(revision ` + rev + `, committed \S+; go1\.\S+ \S+/\S+\)\n$`)
	if !want.Match(out) {
		t.Errorf("--version printed %q, want %v", out, want)
	}
}
