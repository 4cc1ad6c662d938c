// Command faults is odsim's fault harness: it tries to make odsim lose a database change and checks
// that it never does. Each fault case runs three real processes — a writer that keeps changing rows of
// every watched table in MariaDB (this program, FAULTS_ROLE=writer), the real `odsim serve` binary, and a
// webhook receiver that records what it acknowledged (this program, FAULTS_ROLE=recorder) — while the
// harness breaks one thing: the receiver (down, failing, slow, hanging up), odsim (SIGKILL at chosen
// points), the database (restarted, unreachable at start-up) or the clocks (skewed by 5 minutes).
// Then everything is healed, the harness waits until every subscription's cursor has passed the last
// change, stops odsim with SIGTERM (it must exit 0), and the checker compares the writer's log of
// committed changes with the receiver's log of acknowledged deliveries: every change must have reached
// every matching subscription at least once (lost: 0); repeats are counted as duplicates.
//
//	go run ./bench/faults                        # every case, the writer writing 2 minutes each
//	go run ./bench/faults -duration 10m          # longer
//	go run ./bench/faults -cases odsim-sigkill,mariadb-restart -duration 1m
//	go run ./bench/faults -short                 # the short forms that go test runs
//
// Databases are made on -dsn (default ODSIM_TEST_DSN, else root@tcp(127.0.0.1:3306)/) and dropped; the
// MariaDB restart case starts a private mariadbd of its own instead. See README.md beside this file.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if role := os.Getenv("FAULTS_ROLE"); role != "" {
		os.Exit(runRole(ctx, role, os.Args[1:]))
	}
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
}

// runRole runs this program as the writer or the recorder process of a case.
func runRole(ctx context.Context, role string, args []string) int {
	var err error
	switch role {
	case "writer":
		err = runWriter(ctx, args, os.Stderr)
	case "recorder":
		err = runRecorder(ctx, args, os.Stderr)
	default:
		err = fmt.Errorf("unknown FAULTS_ROLE %q", role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", role, err)
		return 1
	}
	return 0
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("faults", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := getenv("ODSIM_TEST_DSN")
	if dsn == "" {
		dsn = "root@tcp(127.0.0.1:3306)/"
	}
	duration := fs.Duration("duration", 2*time.Minute, "how long the writer writes in each case")
	short := fs.Bool("short", false, "run the short forms (8 s of writing, 4 s faults, 3 kills), as go test does")
	cases := fs.String("cases", "", "comma-separated cases to run (default all): "+caseNames())
	fs.StringVar(&dsn, "dsn", dsn, "MariaDB/MySQL server for the case databases, without a database name")
	odsim := fs.String("odsim", "", "odsim binary (default: go build ./cmd/odsim)")
	dir := fs.String("dir", "", "where logs are kept (default: a temporary folder, removed when every case passed)")
	keep := fs.Bool("keep", false, "keep the case databases")
	serveFlags := fs.String("serve-flags", "", "extra flags for odsim serve in every case, space-separated, e.g. '--reproduce in-flight-gap'")
	if err := fs.Parse(args); err != nil {
		return err
	}
	selected, err := selectCases(*cases)
	if err != nil {
		return err
	}
	sc := longScale(*duration)
	if *short {
		sc = shortScale()
	}
	work := *dir
	if work == "" {
		if work, err = os.MkdirTemp("", "odsim-faults-"); err != nil {
			return err
		}
	}
	bin := *odsim
	if bin == "" {
		if bin, err = buildOdsim(ctx, work); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	e := env{odsim: bin, self: []string{self}, serverDSN: dsn, dir: work, progress: stderr, keep: *keep, serveFlags: strings.Fields(*serveFlags)}
	fmt.Fprintf(stderr, "faults: %d cases, writer %s each, logs in %s\n", len(selected), sc.writeFor, work)
	var results []result
	for _, c := range selected {
		fmt.Fprintf(stderr, "faults: %s\n", c.name)
		res, err := runCase(ctx, e, c, sc)
		if err != nil {
			return fmt.Errorf("%s: %w (logs in %s)", c.name, err, filepath.Join(work, c.name))
		}
		results = append(results, res)
		writeDetails(stderr, []result{res})
	}
	fmt.Fprintf(stdout, "Fault harness, writer %s per case, %s, odsim serve %s\n\n", sc.writeFor, time.Now().Format("2006-01-02"), *serveFlags)
	writeTable(stdout, results)
	writeDetails(stdout, results)
	for _, r := range results {
		if !r.OK() {
			return fmt.Errorf("%s failed (logs in %s)", r.Case.name, filepath.Join(work, r.Case.name))
		}
	}
	if *dir == "" {
		os.RemoveAll(work)
	}
	return nil
}

func caseNames() string {
	var names []string
	for _, c := range faultCases {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

func selectCases(list string) ([]faultCase, error) {
	if list == "" {
		return faultCases, nil
	}
	var out []faultCase
	for _, name := range strings.Split(list, ",") {
		c, ok := lookupCase(strings.TrimSpace(name))
		if !ok {
			return nil, fmt.Errorf("unknown case %q: the cases are %s", name, caseNames())
		}
		out = append(out, c)
	}
	return out, nil
}

// buildOdsim builds ./cmd/odsim of the module this runs in, into dir.
func buildOdsim(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find the odsim module: %w", err)
	}
	bin := filepath.Join(dir, "odsim")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/odsim")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(out)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build odsim: %w\n%s", err, out)
	}
	return bin, nil
}

// lastLine is the last non-empty line of a file.
func lastLine(path string) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return lines[len(lines)-1]
}
