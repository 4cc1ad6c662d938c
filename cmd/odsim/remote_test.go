package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/receiver"
	"github.com/odsim/odsim/store/storetest"
)

// servedOdsim is odsim serve running in process; args are its flags after serve.
type servedOdsim struct {
	url      string // http://127.0.0.1:PORT
	embedded string // the embedded database's port, "" with --dsn
}

func serveInProcess(t *testing.T, args ...string) servedOdsim {
	t.Helper()
	var stdout, stderr listenOutput
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...), listenEnv(nil), strings.NewReader(""), &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("odsim serve: %v\n%s", err, stderr.String())
		}
	})
	re := regexp.MustCompile(`Open Dental API at (http://127\.0\.0\.1:\d+)/api/v1`)
	waitForListen(t, "odsim serve's banner", func() bool {
		return re.MatchString(stdout.String()) || strings.Contains(stderr.String(), "level=ERROR")
	})
	m := re.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("odsim serve did not start:\n%s", stderr.String())
	}
	s := servedOdsim{url: m[1]}
	if e := embeddedRE.FindStringSubmatch(stdout.String()); e != nil {
		s.embedded = e[1]
	}
	return s
}

// remoteHarness is `odsim serve` running in process on a fresh database with the golden fixture rows,
// playing MOLLYR and FRONTDESK, and a loopback receiver counting what it gets.
type remoteHarness struct {
	t      *testing.T
	addr   string // http://127.0.0.1:PORT
	db     *sql.DB
	record string // the --record file

	mu   sync.Mutex
	got  []string // Event-Type of every POST received
	recv *httptest.Server
}

// newRemoteHarness starts the harness; extra are more flags of odsim serve.
func newRemoteHarness(t *testing.T, extra ...string) *remoteHarness {
	t.Helper()
	dsn := storetest.NewDSN(t)
	db := storetest.Open(t, dsn)
	h := &remoteHarness{t: t, db: db.SQL(), record: filepath.Join(t.TempDir(), "record.jsonl")}
	h.loadFixture()
	h.recv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h.mu.Lock()
		h.got = append(h.got, r.Header.Get("Event-Type"))
		h.mu.Unlock()
	}))
	t.Cleanup(h.recv.Close)

	h.addr = serveInProcess(t, append([]string{"--dsn", dsn, "--workstation", "MOLLYR,FRONTDESK", "--record", h.record}, extra...)...).url
	return h
}

func (h *remoteHarness) loadFixture() {
	h.t.Helper()
	storetest.LoadFile(h.t, h.db, filepath.Join("..", "..", "testdata", "golden", "fixture.sql"))
}

func (h *remoteHarness) exec(query string) {
	h.t.Helper()
	if _, err := h.db.ExecContext(context.Background(), query); err != nil {
		h.t.Fatalf("exec %.60q: %v", query, err)
	}
}

func (h *remoteHarness) received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.got)
}

// odsim runs a client subcommand against the harness (--url comes from ODSIM_URL) and returns its
// output and error.
func (h *remoteHarness) odsim(args ...string) (string, error) {
	return h.odsimEnv(context.Background(), nil, args...)
}

// odsimEnv runs a client subcommand with more environment variables than ODSIM_URL.
func (h *remoteHarness) odsimEnv(ctx context.Context, vars map[string]string, args ...string) (string, error) {
	all := map[string]string{"ODSIM_URL": h.addr}
	for k, v := range vars {
		all[k] = v
	}
	var stdout, stderr listenOutput
	err := run(ctx, args, listenEnv(all), strings.NewReader(""), &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

func (h *remoteHarness) mustOdsim(args ...string) string {
	h.t.Helper()
	out, err := h.odsim(args...)
	if err != nil {
		h.t.Fatalf("odsim %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TestRemoteCommands walks the workflow with the CLI alone: subscribe, change data, poll now,
// select a patient, read the delivery log (also following it), and find every attempt in --record.
func TestRemoteCommands(t *testing.T) {
	t.Parallel()
	h := newRemoteHarness(t)
	url := h.recv.URL + "/"

	var start string
	if err := h.db.QueryRow("SELECT NOW() - INTERVAL 10 SECOND").Scan(&start); err != nil {
		t.Fatal(err)
	}
	out := h.mustOdsim("subscribe", url, "--table", "Appointment", "--polling-seconds", "3600", "--workstation", "MOLLYR", "--start", start)
	if !strings.Contains(out, "Created subscription 1: WatchTable Appointment every 3600s from workstation MOLLYR to "+url+", customer key VzkmZEaUWOjnQX2z, window from "+start+".") {
		t.Errorf("subscribe printed %q", out)
	}
	var created control.ODSubscription
	out = h.mustOdsim("subscribe", url, "--ui", "PatientSelected", "--json")
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.SubscriptionNum != 2 || created.UiEventType != "PatientSelected" ||
		created.CustomerKey != "VzkmZEaUWOjnQX2z" {
		t.Errorf("subscribe --json printed %q (%v)", out, err)
	}
	out = h.mustOdsim("subscriptions")
	for _, want := range []string{"NUM  EVENT", "1    WatchTable: Appointment       3600s  MOLLYR", "2    UiEventType: PatientSelected  -      (all)"} {
		if !strings.Contains(out, want) {
			t.Errorf("subscriptions printed\n%s\nwithout %q", out, want)
		}
	}

	h.exec("INSERT INTO appointment (AptNum, PatNum, AptStatus, Pattern, Op, DateTStamp) VALUES (701, 27, 1, '//', 1, NOW() - INTERVAL 1 SECOND)")
	out = h.mustOdsim("poll", "--subscription", "1")
	if !regexp.MustCompile(`subscription 1 on MOLLYR, window .* 1 element delivered in 1 POST; the cursor moved to .*\n  #1  batch 1  1 element  keys 701  -> 200 OK`).MatchString(out) {
		t.Errorf("poll printed %q", out)
	}
	if got := h.received(); !slices.Equal(got, []string{"WatchTable: Appointment"}) {
		t.Errorf("after poll the receiver has %v", got)
	}
	var res control.PollResult
	if err := json.Unmarshal([]byte(h.mustOdsim("poll", "--json")), &res); err != nil || len(res.Outcomes) != 1 || res.Outcomes[0].Error != "" || res.Outcomes[0].Subscription != 1 {
		t.Errorf("poll --json: %+v %v", res, err)
	}

	out = h.mustOdsim("select-patient", "27", "--workstation", "mollyr")
	if !regexp.MustCompile(`^MOLLYR selected patient 27: PatientSelected sent to 1 subscription\.\n  #2  sub 2  ` + regexp.QuoteMeta(url) + `  -> 200 OK`).MatchString(out) {
		t.Errorf("select-patient printed %q", out)
	}
	out = h.mustOdsim("select-patient", "27", "--workstation", "MOLLYR")
	if !strings.Contains(out, "MOLLYR already has patient 27 selected: nothing sent") {
		t.Errorf("select-patient again printed %q", out)
	}

	out = h.mustOdsim("deliveries")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !regexp.MustCompile(`^#1  \d\d:\d\d:\d\d\.\d{3}  sub 1  MOLLYR  WatchTable: Appointment  1 element  keys 701  -> 200 OK  `).MatchString(lines[0]) ||
		!strings.Contains(lines[1], "sub 2  MOLLYR  UiEventType: PatientSelected  1 element  keys 27  -> 200 OK") {
		t.Errorf("deliveries printed %q", out)
	}
	out = h.mustOdsim("deliveries", "2")
	for _, want := range []string{"Event-Type: UiEventType: PatientSelected\n", "Workstation: MOLLYR\n", "POST " + url + "\n", "{\n  \"PatNum\": 27,\n  \"LName\": \"Harrison\","} {
		if !strings.Contains(out, want) {
			t.Errorf("deliveries 2 printed\n%s\nwithout %q", out, want)
		}
	}
	if out := h.mustOdsim("deliveries", "--status", "failed"); out != "No deliveries match.\n" {
		t.Errorf("deliveries --status failed printed %q", out)
	}

	// --follow prints what happens after it started, as JSON lines with --json.
	ctx, cancel := context.WithCancel(context.Background())
	followed := make(chan error, 1)
	var followOut, followErr listenOutput
	go func() {
		followed <- run(ctx, []string{"deliveries", "--follow", "--since", "2", "--json", "--table", "PatientSelected"},
			listenEnv(map[string]string{"ODSIM_URL": h.addr}), strings.NewReader(""), &followOut, &followErr)
	}()
	h.mustOdsim("select-patient", "28", "--workstation", "MOLLYR")
	waitForListen(t, "--follow to print delivery 3", func() bool { return strings.Contains(followOut.String(), `"id":3`) })
	cancel() // as Ctrl-C: one line on stderr, exit status 130
	var ee exitError
	if err := <-followed; !errors.As(err, &ee) || ee.code != 130 || followErr.String() != "odsim deliveries: interrupted after showing 1 delivery, up to #3\n" {
		t.Errorf("--follow after Ctrl-C: %v, stderr %q", err, followErr.String())
	}
	out = followOut.String()
	var d control.Delivery
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &d); err != nil || d.ID != 3 || !slices.Equal(d.Keys, []int64{28}) {
		t.Errorf("--follow --json printed %q (%v)", out, err)
	}

	// Every attempt is in the recording, readable by the receiver's reader.
	f, err := os.Open(h.record)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recorded, err := receiver.ReadJSONL(f)
	if err != nil || len(recorded) != 3 || recorded[2].Headers.Get("Event-Type") != "UiEventType: PatientSelected" || recorded[2].Status != 200 {
		t.Errorf("recording: %d deliveries, %v", len(recorded), err)
	}
}

// TestRemoteBadInput: every client subcommand refuses bad input with a one-line error and a non-zero
// exit, and nothing is sent, selected or created.
func TestRemoteBadInput(t *testing.T) {
	t.Parallel()
	h := newRemoteHarness(t)
	url := h.recv.URL + "/"
	h.mustOdsim("subscribe", url, "--ui", "PatientSelected")
	h.mustOdsim("subscribe", url, "--table", "Patient", "--polling-seconds", "3600")
	h.exec("UPDATE patient SET LName = CONCAT(LName, 'x')") // something a poll would send
	subsBefore := h.mustOdsim("subscriptions", "--json")

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"select: no PATNUM", []string{"select-patient"}, "missing PATNUM, the PatNum of the patient to select (usage: odsim select-patient PATNUM [flags]"},
		{"select: two", []string{"select-patient", "27", "28"}, `unexpected argument "28": odsim select-patient takes at most 1`},
		{"select: not a number", []string{"select-patient", "abc", "--workstation", "MOLLYR"}, `PATNUM must be a positive whole number, not "abc"`},
		{"select: zero", []string{"select-patient", "0", "--workstation", "MOLLYR"}, `PATNUM must be a positive whole number, not "0"`},
		{"select: negative", []string{"select-patient", "--workstation", "MOLLYR", "--", "-5"}, `PATNUM must be a positive whole number, not "-5"`},
		{"select: unknown patient", []string{"select-patient", "999", "--workstation", "MOLLYR"}, "Patient 999 not found. (HTTP 404)"},
		{"select: unknown workstation", []string{"select-patient", "27", "--workstation", "BOB"}, `workstation "BOB" is not one odsim plays: use MOLLYR, FRONTDESK`},
		{"select: which workstation", []string{"select-patient", "27"}, "workstation is required: odsim plays MOLLYR, FRONTDESK. (HTTP 400)"},
		{"select: bad addr", []string{"select-patient", "27", "--url", "ftp://x"}, `--url: odsim address "ftp://x": use http://host:port`},
		{"select: unreachable", []string{"select-patient", "27", "--url", "127.0.0.1:1"}, "cannot reach odsim at http://127.0.0.1:1"},
		{"poll: zero", []string{"poll", "--subscription", "0"}, "--subscription must be a positive SubscriptionNum, not 0"},
		{"poll: not a number", []string{"poll", "--subscription", "x"}, `invalid argument "x" for "--subscription"`},
		{"poll: unknown", []string{"poll", "--subscription", "999"}, "Subscription 999 cannot be polled"},
		{"poll: UI subscription", []string{"poll", "--subscription", "1"}, "Subscription 1 cannot be polled"},
		{"poll: argument", []string{"poll", "2"}, `unexpected argument "2": odsim poll takes none`},
		{"deliveries: bad ID", []string{"deliveries", "x"}, `ID must be a positive whole number, not "x"`},
		{"deliveries: unknown ID", []string{"deliveries", "999"}, "Delivery 999 is not in the log"},
		{"deliveries: ID and follow", []string{"deliveries", "3", "--follow"}, "give an ID to show one delivery, or --follow/--since to list them, not both"},
		{"deliveries: status", []string{"deliveries", "--status", "good"}, `status "good": use ok, failed, or an HTTP status code`},
		{"deliveries: table", []string{"deliveries", "--table", "Appt"}, `table "Appt" is not an event type`},
		{"deliveries: since", []string{"deliveries", "--since", "-1"}, "since must be a delivery ID"},
		{"deliveries: limit", []string{"deliveries", "--limit", "-1"}, "limit must be a whole number from 1 to 10000"},
		{"subscribe: no URL", []string{"subscribe", "--table", "Patient"}, "missing URL, the EndPointUrl that receives the events"},
		{"subscribe: both kinds", []string{"subscribe", url, "--table", "Patient", "--ui", "PatientSelected"}, "not both"},
		{"subscribe: neither kind", []string{"subscribe", url}, "give --table and --polling-seconds for a database event, or --ui PatientSelected"},
		{"subscribe: bad key", []string{"subscribe", url, "--ui", "PatientSelected", "--key", "nokey"}, "--key must be DeveloperKey/CustomerKey"},
		{"subscribe: unknown table", []string{"subscribe", url, "--table", "Appointments", "--polling-seconds", "5"}, "WatchTable"},
		{"subscribe: polling for UI", []string{"subscribe", url, "--ui", "PatientSelected", "--polling-seconds", "5"}, "PollingSeconds"},
		{"subscribe: no polling", []string{"subscribe", url, "--table", "Patient"}, "PollingSeconds"},
		{"subscribe: bad URL", []string{"subscribe", "not a url", "--ui", "PatientSelected"}, "EndPointUrl"},
		{"subscriptions: bad key", []string{"subscriptions", "--key", "a/b/c"}, "--key must be DeveloperKey/CustomerKey"},
		{"subscriptions: argument", []string{"subscriptions", "x"}, `unexpected argument "x": odsim subscriptions takes none`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.odsim(tt.args...)
			if err == nil {
				t.Fatalf("succeeded: %q", out)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q, want one line with %q", msg, tt.want)
			}
		})
	}
	// The environment names the address too, and an unreachable one says how to start odsim.
	var stdout, stderr listenOutput
	err := run(context.Background(), []string{"poll"}, listenEnv(map[string]string{"ODSIM_URL": "http://127.0.0.1:1"}), strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "start it with `odsim serve`, or point --url or ODSIM_URL at it") {
		t.Errorf("unreachable ODSIM_URL: %v", err)
	}

	if got := h.received(); len(got) != 0 {
		t.Errorf("bad commands sent %v", got)
	}
	var page control.DeliveryPage
	if err := json.Unmarshal([]byte(h.mustOdsim("deliveries", "--json")), &page); err != nil || page.LastID != 0 {
		t.Errorf("bad commands logged deliveries: %+v %v", page, err)
	}
	var ws control.WorkstationList
	c, _ := control.NewClient(h.addr, nil)
	if ws, err = c.Workstations(context.Background()); err != nil || ws.Workstations[0].PatNum != 0 || ws.Workstations[1].PatNum != 0 {
		t.Errorf("bad commands selected a patient: %+v %v", ws, err)
	}
	if after := h.mustOdsim("subscriptions", "--json"); after != subsBefore {
		t.Errorf("bad commands changed subscriptions:\n%s\n%s", subsBefore, after)
	}
}
