package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/odsim/odsim/receiver"
	"github.com/odsim/odsim/scenario"
	"github.com/odsim/odsim/store/demo"
	"github.com/odsim/odsim/store/storetest"
)

// runOdsim runs the command line in process and returns its output and error.
func runOdsim(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// demoDSN is a fresh MariaDB database with the demo practice.
func demoDSN(t *testing.T) string {
	t.Helper()
	dsn := storetest.NewDSN(t)
	db := storetest.Open(t, dsn)
	if _, err := demo.Load(context.Background(), db.SQL(), demo.Options{}); err != nil {
		t.Fatal(err)
	}
	return dsn
}

func TestReplayListsAndPrintsBuiltins(t *testing.T) {
	t.Parallel()
	out, _, err := runOdsim(t, "replay", "--list")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range scenario.Builtins() {
		if !strings.Contains(out, b.Name) {
			t.Errorf("--list lacks %s:\n%s", b.Name, out)
		}
	}
	out, _, err = runOdsim(t, "replay", "--print", "new-patient")
	want, _ := scenario.BuiltinSource("new-patient")
	if err != nil || out != string(want) {
		t.Errorf("--print new-patient: err %v, output differs from the built-in", err)
	}
}

func TestReplayScenario(t *testing.T) {
	t.Parallel()
	dsn := demoDSN(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	failing := filepath.Join(dir, "failing.yaml")
	for path, src := range map[string]string{
		good:    "steps:\n  - name: jane\n    add-patient: {LName: Doe, FName: Jane}\n  - book-appointment: {PatNum: $jane, Op: 1, AptDateTime: \"today 9:00\"}\n",
		bad:     "steps:\n  - arrive: {appointment: $nobody}\n",
		failing: "steps:\n  - update-patient: {patient: 1, HmPhone: \"1\"}\n  - update-patient: {patient: 999, HmPhone: \"2\"}\n",
	} {
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, _, err := runOdsim(t, "replay", good, "--speed", "max", "--dsn", dsn, "--url=", "--start", "2026-12-02 08:00")
	if err != nil || !strings.Contains(out, "good: all 2 step runs applied") || !strings.Contains(out, "[1/2] 08:00:00  step 1 \"jane\" (add-patient): PatNum 61") {
		t.Errorf("good scenario: err %v\n%s", err, out)
	}
	_, _, err = runOdsim(t, "replay", bad, "--speed", "max", "--dsn", dsn, "--url=")
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:2: step 1 (arrive): bad reference $nobody") {
		t.Errorf("bad scenario: err = %v", err)
	}
	out, _, err = runOdsim(t, "replay", failing, "--speed", "max", "--dsn", dsn, "--url=")
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(out, "failing.yaml:3: step 2 (update-patient): patient 999 does not exist") ||
		!strings.Contains(out, "FAILED after 1 of 2 step runs applied") {
		t.Errorf("failing scenario: err %v\n%s", err, out)
	}
	if _, _, err := runOdsim(t, "replay", "clinic-day", "--speed", "fast", "--dsn", dsn, "--url="); err == nil || !strings.Contains(err.Error(), "--speed \"fast\"") {
		t.Errorf("bad --speed: err = %v", err)
	}
}

func TestReplayDeliveries(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Path+" "+r.Header.Get("Event-Type"))
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	var file bytes.Buffer
	for i, path := range []string{"/a", "/b"} {
		line, _ := receiver.Delivery{Time: time.Date(2026, 12, 2, 10, 0, i, 0, time.UTC), Method: "POST", Path: path,
			Headers: http.Header{"Event-Type": {"WatchTable: Patient"}}, Body: []byte(`[{"PatNum":1}]`), Status: 200}.MarshalJSON()
		file.Write(append(line, '\n'))
	}
	file.WriteString(`{"time":"2026-12-02T10:00:05Z","meth`) // truncated
	path := filepath.Join(t.TempDir(), "session.jsonl")
	if err := os.WriteFile(path, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// Skipping a corrupt line sends the others, then exits 1 after reporting it.
	out, errOut, err := runOdsim(t, "replay", "--deliveries", path, "--to", srv.URL, "--speed", "max")
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(out, "line 1  POST "+srv.URL+"/a  WatchTable: Patient (1 element) -> 200 OK") ||
		!strings.Contains(out, "2 sent: 2 answered 200, 0 not; 1 unreadable lines") || !strings.Contains(errOut, "line 3: truncated") ||
		!strings.HasSuffix(errOut, "odsim: 1 line could not be read (reported above); the other lines were sent\n") {
		t.Errorf("skip: err %v\n%s%s", err, out, errOut)
	}
	_, errOut, err = runOdsim(t, "replay", "--deliveries", path, "--to", srv.URL, "--speed", "max", "--on-corrupt", "stop")
	if !errors.As(err, &ee) || !strings.Contains(errOut, "stopped at line 3") {
		t.Errorf("stop: err %v\n%s", err, errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 4 || got[0] != "/a WatchTable: Patient" || got[1] != "/b WatchTable: Patient" {
		t.Errorf("the receiver got %v", got)
	}
}

func TestSimulateCommand(t *testing.T) {
	t.Parallel()
	dsn := demoDSN(t)
	out, errOut, err := runOdsim(t, "simulate", "--rate", "6000", "--duration", "300ms", "--seed", "7", "--dsn", dsn, "--url=", "--quiet")
	if err != nil || !strings.Contains(errOut, "simulating a front desk at 6000 changes a minute for 300ms") || !strings.Contains(out, " changes (") {
		t.Errorf("simulate: err %v\n%s%s", err, out, errOut)
	}
}
