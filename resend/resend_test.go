package resend_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/receiver"
	"github.com/odsim/odsim/resend"
	"github.com/odsim/odsim/webhook"
)

// recorder is odsim listen's receiver on loopback, recording every POST to a JSONL file.
func recorder(t *testing.T, status int) (url, jsonl string) {
	t.Helper()
	jsonl = filepath.Join(t.TempDir(), "deliveries.jsonl")
	rc, err := receiver.New(receiver.Config{JSONL: jsonl, Status: status})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rc)
	t.Cleanup(func() {
		srv.Close()
		rc.Close()
	})
	return srv.URL, jsonl
}

func readJSONL(t *testing.T, path string) []receiver.Delivery {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ds, err := receiver.ReadJSONL(f)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// record sends Open Dental-style events through odsim's webhook sender to a recording receiver and
// returns the JSONL file it wrote.
func record(t *testing.T) string {
	t.Helper()
	url, jsonl := recorder(t, http.StatusOK)
	sender := webhook.NewSender(webhook.Config{UserAgent: "odsim/test"})
	bodies := []struct {
		path, eventType string
		body            []byte
	}{
		{"/apievents/?type=appt", "WatchTable: Appointment", []byte(`[{"AptNum":12,"Note":"Café <b>&</b> \u00e9"},{"AptNum":15}]`)},
		{"/apievents/", "UiEventType: PatientSelected", []byte(`{"PatNum":28,"LName":"O'Brien"}`)},
		{"/apievents/deleted", "WatchTable: AppointmentDeleted", []byte("[{\"HistApptNum\":4,\"Note\":\"line\\r\\nbreak\"}]\n")},
		{"/apievents/", "WatchTable: Patient", []byte{'[', 0xff, 0xfe, ']'}}, // not UTF-8: recorded as body_base64
	}
	for _, b := range bodies {
		res := sender.Send(context.Background(), webhook.Request{URL: url + b.path, CustomerKey: "VzkmZEaUWOjnQX2z",
			Workstation: "MOLLYR", EventType: b.eventType, Body: b.body})
		if !res.OK() {
			t.Fatalf("record %s: %s", b.eventType, res.Describe())
		}
	}
	return jsonl
}

// TestResendReproducesHeadersAndBodies re-sends a recorded session to a second recording receiver and
// compares what it received with what the first one did: method, path, every header but Host, and
// the body byte for byte.
func TestResendReproducesHeadersAndBodies(t *testing.T) {
	original := record(t)
	url, replayed := recorder(t, http.StatusOK)
	f, err := os.Open(original)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var results []resend.Result
	sum, err := resend.Run(context.Background(), f, resend.Config{To: url, Report: func(r resend.Result) { results = append(results, r) }})
	if err != nil {
		t.Fatal(err)
	}
	if sum != (resend.Summary{Sent: 4, OK: 4}) || len(results) != 4 {
		t.Fatalf("summary %+v, %d results", sum, len(results))
	}
	want, got := readJSONL(t, original), readJSONL(t, replayed)
	if len(got) != len(want) {
		t.Fatalf("received %d requests, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		delete(w.Headers, "Host")
		delete(g.Headers, "Host")
		if g.Method != w.Method || g.Path != w.Path {
			t.Errorf("request %d: %s %s, want %s %s", i+1, g.Method, g.Path, w.Method, w.Path)
		}
		if !bytes.Equal(g.Body, w.Body) {
			t.Errorf("request %d: body %q, want %q", i+1, g.Body, w.Body)
		}
		if len(g.Headers) != len(w.Headers) {
			t.Errorf("request %d: headers %v, want %v", i+1, g.Headers, w.Headers)
		}
		for name, values := range w.Headers {
			if strings.Join(g.Headers[name], "\x00") != strings.Join(values, "\x00") {
				t.Errorf("request %d: %s = %q, want %q", i+1, name, g.Headers[name], values)
			}
		}
	}
	if d := results[0].Describe(); !strings.Contains(d, "line 1  POST "+url+"/apievents/?type=appt  WatchTable: Appointment (2 elements) -> 200 OK") {
		t.Errorf("report line: %s", d)
	}
}

// brokenFile is a recording whose line 2 is corrupt and whose last line is cut off.
func brokenFile(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(record(t))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	lines[1] = `{"time":"2026-12-02T10:00:00Z","method":"POST","path":` // corrupt
	last := lines[len(lines)-1]
	lines[len(lines)-1] = last[:len(last)/2] // truncated, no newline
	return strings.Join(lines, "\n")
}

func TestCorruptAndTruncatedLines(t *testing.T) {
	cases := []struct {
		name    string
		skip    bool
		sent    int
		corrupt []int
		wantErr string
	}{
		{"skip", true, 2, []int{2, 4}, ""},
		{"stop", false, 1, []int{2}, "line 2: cannot read the recorded delivery: corrupt:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url, _ := recorder(t, http.StatusOK)
			var corrupt []int
			var messages []string
			sum, err := resend.Run(context.Background(), strings.NewReader(brokenFile(t)), resend.Config{To: url + "/", SkipCorrupt: c.skip,
				Report: func(r resend.Result) {
					if r.Corrupt != nil {
						corrupt = append(corrupt, r.Line)
						messages = append(messages, r.Describe())
					}
				}})
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
			var cle *resend.CorruptLineError
			if c.wantErr != "" && (!errors.As(err, &cle) || cle.Line != 2) {
				t.Errorf("err = %#v, want a CorruptLineError at line 2", err)
			}
			var syntax *json.SyntaxError
			if c.wantErr != "" && !errors.As(err, &syntax) {
				t.Errorf("err = %v does not keep the JSON error it wraps", err)
			}
			if sum.Sent != c.sent || sum.Corrupt != len(c.corrupt) || !slices.Equal(corrupt, c.corrupt) {
				t.Errorf("summary %+v, corrupt lines %v; want %d sent, corrupt lines %v", sum, corrupt, c.sent, c.corrupt)
			}
			if c.skip && !strings.Contains(messages[1], "line 4: truncated (the file ends inside this line)") {
				t.Errorf("truncated line reported as %q", messages[1])
			}
		})
	}
}

// fakeClock records the waits and moves on at once.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return nil
}

// TestResendKeepsTheRecordedSpacing re-sends three deliveries recorded 2 s and 6 s apart at speed 2:
// the run waits 1 s and 3 s, on a fake clock.
func TestResendKeepsTheRecordedSpacing(t *testing.T) {
	url, _ := recorder(t, http.StatusOK)
	var file bytes.Buffer
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, off := range []time.Duration{0, 2 * time.Second, 8 * time.Second} {
		d := receiver.Delivery{Time: start.Add(off), Method: "POST", Path: "/", Headers: http.Header{"Event-Type": {"WatchTable: Patient"}}, Body: []byte("[]"), Status: 200}
		line, err := d.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		file.Write(append(line, '\n'))
	}
	clock := &fakeClock{now: time.Now()}
	sum, err := resend.Run(context.Background(), &file, resend.Config{To: url, Speed: 2, Clock: clock})
	if err != nil || sum.OK != 3 {
		t.Fatalf("summary %+v, err %v", sum, err)
	}
	if len(clock.slept) != 2 || clock.slept[0] != time.Second || clock.slept[1] != 3*time.Second {
		t.Errorf("waited %v, want [1s 3s]", clock.slept)
	}
}

func TestResendReportsNon200(t *testing.T) {
	url, _ := recorder(t, http.StatusServiceUnavailable)
	var file bytes.Buffer
	line, _ := receiver.Delivery{Time: time.Now(), Method: "POST", Path: "/x", Headers: http.Header{}, Body: []byte("[]")}.MarshalJSON()
	file.Write(line)
	var got resend.Result
	sum, err := resend.Run(context.Background(), &file, resend.Config{To: url, Report: func(r resend.Result) { got = r }})
	if err != nil || sum.Failed != 1 || got.Status != http.StatusServiceUnavailable || got.OK() {
		t.Fatalf("summary %+v, result %+v, err %v", sum, got, err)
	}
	if !strings.Contains(got.Describe(), "503 Service Unavailable (only 200 counts as delivered)") {
		t.Errorf("report: %s", got.Describe())
	}
}

// TestResendReadsServeRecordings re-sends what odsim serve --record writes (deliveries.Recorder): the
// receiver's line format with more fields.
func TestResendReadsServeRecordings(t *testing.T) {
	var file bytes.Buffer
	rec := deliveries.NewRecorder(&file)
	header := http.Header{"Authorization": {"VzkmZEaUWOjnQX2z"}, "Event-Type": {"WatchTable: Appointment"}, "Workstation": {"MOLLYR"}, "Content-Type": {"application/json"}}
	body := []byte(`[{"AptNum":12},{"AptNum":15}]`)
	if err := rec.Write(1, deliveries.Attempt{At: time.Now(), Request: webhook.Request{URL: "http://consumer.example/apievents/?t=1", EventType: "WatchTable: Appointment", Body: body},
		Elements: 2, Keys: []int64{12, 15}, Result: webhook.Result{Status: 200, Header: header}}); err != nil {
		t.Fatal(err)
	}
	url, jsonl := recorder(t, http.StatusOK)
	sum, err := resend.Run(context.Background(), &file, resend.Config{To: url})
	if err != nil || sum.OK != 1 {
		t.Fatalf("summary %+v, err %v", sum, err)
	}
	got := readJSONL(t, jsonl)[0]
	// The recording masks query values (they are where subscribers put secrets), so they are re-sent
	// masked; a target URL with a path and query of its own is used as given instead.
	if got.Path != "/apievents/?t=***" || !bytes.Equal(got.Body, body) || got.Headers.Get("Workstation") != "MOLLYR" || got.Headers.Get("Authorization") != "VzkmZEaUWOjnQX2z" {
		t.Errorf("received %s %q %v", got.Path, got.Body, got.Headers)
	}
}
