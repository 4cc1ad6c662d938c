package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/odsim/odsim/catalogue"
	"github.com/odsim/odsim/receiver"
	"github.com/odsim/odsim/store/storetest"
)

// The end-to-end tests run the real odsim binary, as a newcomer would.

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// TestMain removes the binary odsimBinary built (80 MB) when the package's tests are done.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// odsimBinary builds ./cmd/odsim once per test run, into a directory TestMain removes.
func odsimBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "odsim-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binDir = dir
		binPath = filepath.Join(dir, "odsim")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// process is a running odsim whose output lines are collected.
type process struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	added chan struct{}
	done  chan error
}

func startOdsim(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(odsimBinary(t), args...)
	cmd.Env = append(os.Environ(), "ODSIM_WORKSTATION=E2E")
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	p := &process{cmd: cmd, added: make(chan struct{}, 1), done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var readers sync.WaitGroup
	for _, r := range []io.Reader{stdout, stderr} {
		readers.Add(1)
		go func() {
			defer readers.Done()
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				p.mu.Lock()
				p.lines = append(p.lines, sc.Text())
				p.mu.Unlock()
				select {
				case p.added <- struct{}{}:
				default:
				}
			}
		}()
	}
	go func() {
		readers.Wait()
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	return p
}

// waitFor returns the first submatch of re in the output, waiting up to 30 s.
func (p *process) waitFor(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		p.mu.Lock()
		for _, l := range p.lines {
			if m := re.FindStringSubmatch(l); m != nil {
				p.mu.Unlock()
				return m[1]
			}
		}
		out := strings.Join(p.lines, "\n")
		p.mu.Unlock()
		select {
		case <-p.added:
		case err := <-p.done:
			t.Fatalf("odsim exited (%v) before printing %v:\n%s", err, re, out)
		case <-deadline:
			t.Fatalf("odsim did not print %v within 30s:\n%s", re, out)
		}
	}
}

var (
	apiRE      = regexp.MustCompile(`Open Dental API at (http://\S+/api/v1)`)
	embeddedRE = regexp.MustCompile(`embedded database: mysql -h127\.0\.0\.1 -P(\d+) `)
	listenRE   = regexp.MustCompile(`receiving webhook deliveries on (http://\S+/)`)
)

// subscribe creates a subscription through the Open Dental API with the public test key.
func subscribe(t *testing.T, api, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, api+"/subscriptions", strings.NewReader(body))
	req.Header.Set("Authorization", "ODFHIR NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("subscribe: %s %s", resp.Status, b)
	}
}

// changeAppointment changes a demo appointment over the MySQL protocol, as a user's client would.
func changeAppointment(t *testing.T, port string) {
	t.Helper()
	db, err := sql.Open("mysql", "root@tcp(127.0.0.1:"+port+")/opendental")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE appointment SET Note = 'moved by the e2e test', Confirmed = 23 WHERE AptNum = 7"); err != nil {
		t.Fatal(err)
	}
}

// catalogueValidator checks deliveries against the event catalogue (the schemas of docs/openapi.json).
var catalogueValidator = sync.OnceValues(catalogue.NewValidator)

// checkDelivery fails t when a delivery differs from the event catalogue: headers, body schema, key order.
func checkDelivery(t *testing.T, header http.Header, body []byte) {
	t.Helper()
	v, err := catalogueValidator()
	if err != nil {
		t.Errorf("catalogue validator: %v", err)
		return
	}
	if _, problems := v.Check(header, body); len(problems) > 0 {
		t.Errorf("delivery %s differs from the catalogue: %v", header.Get("Event-Type"), problems)
	}
}

// checkAppointmentEvent checks any delivery against the catalogue and reports whether it is the
// Appointment event of changeAppointment's change, checking its values.
func checkAppointmentEvent(t *testing.T, header http.Header, body []byte) bool {
	t.Helper()
	checkDelivery(t, header, body)
	if header.Get("Event-Type") != "WatchTable: Appointment" {
		return false
	}
	var elems []map[string]any
	if err := json.Unmarshal(body, &elems); err != nil {
		t.Fatalf("body is not a JSON array: %v", err)
	}
	for _, e := range elems {
		if e["AptNum"] == float64(7) {
			if e["Note"] != "moved by the e2e test" || e["confirmed"] != "Ready to go back" {
				t.Errorf("appointment 7 arrived as %v", e)
			}
			if header.Get("Authorization") != "VzkmZEaUWOjnQX2z" || header.Get("Workstation") != "E2E" {
				t.Errorf("headers %v", header)
			}
			return true
		}
	}
	return false
}

func TestNewcomerPathEmbedded(t *testing.T) {
	t.Parallel()
	got := make(chan struct{}, 1)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if checkAppointmentEvent(t, r.Header, body) {
			select {
			case got <- struct{}{}:
			default:
			}
		}
	}))
	t.Cleanup(rc.Close)

	p := startOdsim(t, "--listen", "127.0.0.1:0", "--embedded-addr", "127.0.0.1:0")
	api := p.waitFor(t, apiRE)
	port := p.waitFor(t, embeddedRE)
	checkOpenAPIServed(t, strings.TrimSuffix(api, "/api/v1"))
	checkDocumentedStatuses(t, strings.TrimSuffix(api, "/api/v1"))
	subscribe(t, api, `{"EndPointUrl":"`+rc.URL+`/apievents/","WatchTable":"Appointment","PollingSeconds":1}`)
	changeAppointment(t, port)
	select {
	case <-got:
	case <-time.After(30 * time.Second):
		t.Fatalf("no Appointment event for the change within 30s")
	}
}

// checkOpenAPIServed compares odsim serve's /openapi.json with the committed docs/openapi.json.
func checkOpenAPIServed(t *testing.T, base string) {
	t.Helper()
	resp, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	want, err := os.ReadFile(filepath.Join("..", "..", "docs", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" || !bytes.Equal(got, want) {
		t.Errorf("GET /openapi.json: %s %s, %d bytes; want docs/openapi.json (%d bytes)", resp.Status, resp.Header.Get("Content-Type"), len(got), len(want))
	}
}

// checkDocumentedStatuses sends one request to every operation of docs/openapi.json (path parameters
// 1, no credentials, no body) and fails when the status is not one the document lists for it: the
// document's routes and answers are odsim's.
func checkDocumentedStatuses(t *testing.T, base string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	params := regexp.MustCompile(`\{[^}]+\}`)
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			if method == "parameters" {
				continue
			}
			var op struct {
				Responses map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(strings.ToUpper(method), base+params.ReplaceAllString(path, "1"), nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if _, ok := op.Responses[fmt.Sprint(resp.StatusCode)]; !ok {
				t.Errorf("%s %s answered %d, which docs/openapi.json does not list", strings.ToUpper(method), path, resp.StatusCode)
			}
		}
	}
}

func TestNewcomerPathWithOdsimListen(t *testing.T) {
	t.Parallel()
	jsonl := filepath.Join(t.TempDir(), "deliveries.jsonl")
	l := startOdsim(t, "listen", "--addr", "127.0.0.1:0", "--jsonl", jsonl)
	listenURL := l.waitFor(t, listenRE)
	p := startOdsim(t, "serve", "--listen", "127.0.0.1:0", "--embedded-addr", "127.0.0.1:0", "--subscribe", "Appointment="+listenURL)
	p.waitFor(t, apiRE)
	changeAppointment(t, p.waitFor(t, embeddedRE))
	l.waitFor(t, regexp.MustCompile(`(WatchTable: Appointment .*-> 200)`))
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, _ := os.ReadFile(jsonl)
		ds, err := receiver.ReadJSONL(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if checkAppointmentEvent(t, d.Headers, []byte(d.Body)) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the JSONL file has no Appointment event for appointment 7 (%d deliveries)", len(ds))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestStartupErrorsAreOneLine(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	storetest.RequireServer(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unreachable dsn", []string{"serve", "--listen", "127.0.0.1:0", "--dsn", "root@tcp(127.0.0.1:1)/opendental"}, "odsim: cannot connect to database root@127.0.0.1:1/opendental"},
		{"port taken", []string{"serve", "--listen", busy.Addr().String(), "--embedded-addr", "127.0.0.1:0"}, "odsim: cannot listen on " + busy.Addr().String() + ": address already in use"},
		{"embedded port taken", []string{"serve", "--listen", "127.0.0.1:0", "--embedded-addr", busy.Addr().String()}, "odsim: embedded database: listen " + busy.Addr().String() + ": address already in use"},
		{"malformed subscribe", []string{"serve", "--listen", "127.0.0.1:0", "--subscribe", "Appointmnt=http://127.0.0.1:2097/"}, `odsim: --subscribe "Appointmnt=http://127.0.0.1:2097/": unknown event "Appointmnt"`},
		{"subscribe without scheme", []string{"serve", "--subscribe", "127.0.0.1:2097"}, `odsim: --subscribe "127.0.0.1:2097": expected [Table,Table=]http(s)://URL`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, odsimBinary(t), tc.args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1", err)
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, tc.want) {
				t.Errorf("last stderr line %q, want it to start %q", last, tc.want)
			}
			if strings.Contains(stderr.String(), "goroutine ") || strings.Contains(stderr.String(), "panic") {
				t.Errorf("stack trace on stderr:\n%s", stderr.String())
			}
		})
	}
}
