package receiver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixedNow is the arrival time every test server reports, so printed lines can be compared exactly.
var fixedNow = time.Date(2026, 11, 28, 10, 4, 5, 123456789, time.UTC)

// syncBuffer is a bytes.Buffer that the server's goroutines and the test can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer is a receiver serving on a loopback port for one test.
type testServer struct {
	*Server
	url    string
	out    *syncBuffer
	client *http.Client // its own, so that its idle connections can be closed before shutdown
	cancel context.CancelFunc
	done   chan error
}

// start runs a receiver with cfg on 127.0.0.1:0 until the test ends.
func start(t *testing.T, cfg Config) *testServer {
	t.Helper()
	out := &syncBuffer{}
	cfg.Addr = "127.0.0.1:0"
	cfg.Out = out
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := s.Listen()
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{
		Server: s, url: "http://" + ln.Addr().String(), out: out,
		client: &http.Client{Transport: &http.Transport{}}, cancel: cancel, done: make(chan error, 1),
	}
	go func() { ts.done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		// Connections the client opened but never used would hold up the server's graceful shutdown.
		ts.client.CloseIdleConnections()
		cancel()
		select {
		case err := <-ts.done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return after cancel")
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return ts
}

type response struct {
	status int
	body   string
	header http.Header
}

// send makes one request and returns the answer.
func (ts *testServer) send(t *testing.T, method, url string, header map[string]string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, body: string(b), header: resp.Header}
}

func dbHeaders(table string) map[string]string {
	return map[string]string{
		"Authorization": "VzkmZEaUWOjnQX2z",
		"Workstation":   "MOLLYR",
		"Event-Type":    "WatchTable: " + table,
		"Content-Type":  "application/json; charset=utf-8",
	}
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOneLinePerDelivery(t *testing.T) {
	t.Parallel()
	many := make([]string, 20)
	for i := range many {
		many[i] = `{"AptNum":` + strconv.Itoa(100+i) + `,"PatNum":1}`
	}
	tests := []struct {
		name   string
		path   string
		header map[string]string
		body   string
		want   string
	}{
		{
			name:   "appointment batch",
			header: dbHeaders("Appointment"),
			body:   `[{"AptNum":12,"PatNum":3},{"AptNum":15,"PatNum":4},{"AptNum":19,"PatNum":3}]`,
			want:   "10:04:05.123  WatchTable: Appointment  ws=MOLLYR  3 elements  AptNum 12,15,19  -> 200\n",
		},
		{
			name:   "patient selected UI event",
			header: map[string]string{"Authorization": "VzkmZEaUWOjnQX2z", "Workstation": "FRONTDESK", "Event-Type": "UiEventType: PatientSelected"},
			body:   `{"PatNum":42,"LName":"Smith","FName":"Zoë"}`,
			want:   "10:04:05.123  UiEventType: PatientSelected  ws=FRONTDESK  object  PatNum 42  -> 200\n",
		},
		{
			name:   "one element",
			header: dbHeaders("PatField"),
			body:   `[{"PatFieldNum":7,"PatNum":3,"FieldName":"Ins"}]`,
			want:   "10:04:05.123  WatchTable: PatField  ws=MOLLYR  1 element  PatFieldNum 7  -> 200\n",
		},
		{
			name:   "schedule numbers as strings",
			header: dbHeaders("Schedule"),
			body:   `[{"ScheduleNum":"24","SchedDate":"2026-11-30"},{"ScheduleNum":"25","SchedDate":"2026-11-30"}]`,
			want:   "10:04:05.123  WatchTable: Schedule  ws=MOLLYR  2 elements  ScheduleNum 24,25  -> 200\n",
		},
		{
			name:   "appointment deleted shows AptNum too",
			header: dbHeaders("AppointmentDeleted"),
			body:   `[{"HistApptNum":5,"HistUserNum":1,"AptNum":12},{"HistApptNum":6,"HistUserNum":1,"AptNum":19}]`,
			want:   "10:04:05.123  WatchTable: AppointmentDeleted  ws=MOLLYR  2 elements  HistApptNum 5,6  AptNum 12,19  -> 200\n",
		},
		{
			name:   "many keys are abbreviated",
			header: dbHeaders("Appointment"),
			body:   "[" + strings.Join(many, ",") + "]",
			want:   "10:04:05.123  WatchTable: Appointment  ws=MOLLYR  20 elements  AptNum 100,101,102,103,104,…,119 (20)  -> 200\n",
		},
		{
			name:   "path and query shown",
			path:   "/apievents/?type=patientevent",
			header: dbHeaders("Patient"),
			body:   `[{"PatNum":3}]`,
			want:   "10:04:05.123  WatchTable: Patient  ws=MOLLYR  1 element  PatNum 3  /apievents/?type=patientevent  -> 200\n",
		},
		{
			name:   "empty array",
			header: dbHeaders("Provider"),
			body:   ` [ ] `,
			want:   "10:04:05.123  WatchTable: Provider  ws=MOLLYR  0 elements  -> 200\n",
		},
		{
			name: "no Open Dental headers, not JSON",
			body: "hello, world",
			want: "10:04:05.123  (no Event-Type)  ws=-  non-JSON body, 12 bytes  -> 200\n",
		},
		{
			name: "empty body",
			want: "10:04:05.123  (no Event-Type)  ws=-  empty body  -> 200\n",
		},
		{
			name:   "control characters in headers are quoted",
			header: map[string]string{"Workstation": "MOLLY\tR", "Event-Type": "WatchTable: \xff"},
			body:   `"just a string"`,
			want:   "10:04:05.123  \"WatchTable: \\xff\"  ws=\"MOLLY\\tR\"  JSON string  -> 200\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := start(t, Config{})
			path := tt.path
			if path == "" {
				path = "/"
			}
			if got := ts.send(t, http.MethodPost, ts.url+path, tt.header, []byte(tt.body)); got.status != 200 {
				t.Fatalf("status %d, want 200", got.status)
			}
			if got := ts.out.String(); got != tt.want {
				t.Errorf("printed\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestVerboseShowsHeadersAndPrettyBodyInOrder(t *testing.T) {
	t.Parallel()
	ts := start(t, Config{Verbose: true})
	ts.send(t, http.MethodPost, ts.url+"/", dbHeaders("Appointment"), []byte(`[{"AptNum":12,"Zeta":"z","Alpha":[1,2],"Note":"Zoë <b>"}]`))
	host := strings.TrimPrefix(ts.url, "http://")
	want := `10:04:05.123  WatchTable: Appointment  ws=MOLLYR  1 element  AptNum 12  -> 200
  Accept-Encoding: gzip
  Authorization: VzkmZEaUWOjnQX2z
  Content-Length: 58
  Content-Type: application/json; charset=utf-8
  Event-Type: WatchTable: Appointment
  Host: ` + host + `
  User-Agent: Go-http-client/1.1
  Workstation: MOLLYR

  [
    {
      "AptNum": 12,
      "Zeta": "z",
      "Alpha": [
        1,
        2
      ],
      "Note": "Zoë <b>"
    }
  ]

`
	if got := ts.out.String(); got != want {
		t.Errorf("printed\n%s\nwant\n%s", got, want)
	}
}

func TestVerboseNonJSONBody(t *testing.T) {
	t.Parallel()
	ts := start(t, Config{Verbose: true})
	ts.send(t, http.MethodPost, ts.url, map[string]string{"Event-Type": "WatchTable: Patient"}, []byte("not\tjson\nsecond line"))
	got := ts.out.String()
	for _, want := range []string{
		"WatchTable: Patient  ws=-  non-JSON body, 20 bytes  -> 200\n",
		"  (non-JSON body, 20 bytes)\n  not\tjson\n  second line\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("printed\n%s\nmissing %q", got, want)
		}
	}
}

func TestJSONLRoundTripsBodiesExactly(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "deliveries.jsonl")
	ts := start(t, Config{JSONL: path})
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the JSONL file is %v (%v), want 0600: it holds every request's customer key", st.Mode(), err)
	}
	bodies := []struct {
		name   string
		body   []byte
		base64 bool
	}{
		{name: "odd spacing", body: []byte("[ {\"AptNum\" :  12 ,\n\t\"Note\":\"a  b\"} ]\r\n")},
		{name: "non-ASCII", body: []byte(`[{"PatNum":1,"FName":"Zoë","LName":"Ñúñez 😀","Note":"line\u2028sep"}]`)},
		{name: "raw U+2028 and HTML characters", body: []byte("{\"Note\":\"<a href='x'>&amp;</a> \u2028\"}")},
		{name: "escapes kept as written", body: []byte(`[{"Note":"caf\u00e9 \"q\" \/"}]`)},
		{name: "invalid UTF-8", body: []byte("[{\"Note\":\"\xff\xfe\"}]"), base64: true},
		{name: "binary", body: []byte{0, 1, 2, 0x80, 0xff}, base64: true},
		{name: "empty", body: []byte{}},
	}
	for i, b := range bodies {
		ts.send(t, http.MethodPost, ts.url+"/events?n="+string(rune('0'+i)), dbHeaders("Appointment"), b.body)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(lines) != len(bodies) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(bodies), raw)
	}
	got, err := ReadJSONL(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("ReadJSONL: %v", err)
	}
	for i, b := range bodies {
		t.Run(b.name, func(t *testing.T) {
			d := got[i]
			if !bytes.Equal(d.Body, b.body) {
				t.Errorf("body %q, want %q", d.Body, b.body)
			}
			if hasB64 := strings.Contains(lines[i], `"body_base64":`); hasB64 != b.base64 {
				t.Errorf("line uses body_base64 = %v, want %v: %s", hasB64, b.base64, lines[i])
			}
			if d.Method != http.MethodPost || d.Path != "/events?n="+string(rune('0'+i)) || d.Status != 200 {
				t.Errorf("method %q path %q status %d", d.Method, d.Path, d.Status)
			}
			if !d.Time.Equal(fixedNow) {
				t.Errorf("time %v, want %v", d.Time, fixedNow)
			}
			for k, v := range dbHeaders("Appointment") {
				if g := d.Headers.Values(k); len(g) != 1 || g[0] != v {
					t.Errorf("header %s = %q, want [%q]", k, g, v)
				}
			}
			if d.Headers.Get("Host") != strings.TrimPrefix(ts.url, "http://") {
				t.Errorf("Host header %q not recorded", d.Headers.Get("Host"))
			}
		})
	}
	wantStart := `{"time":"2026-11-28T10:04:05.123456789Z","method":"POST","path":"/events?n=0","headers":{`
	if !strings.HasPrefix(lines[0], wantStart) || !strings.HasSuffix(lines[0], `,"status":200}`) {
		t.Errorf("line format changed:\n%s\nwant it to start %s and end with the status", lines[0], wantStart)
	}
}

func TestJSONLConcurrentRequestsWriteWholeLines(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "d.jsonl")
	// Something already in the file stays: the file is appended to.
	if err := os.WriteFile(path, []byte(`{"method":"POST","path":"/old","headers":{},"body":"[]","status":200}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := start(t, Config{JSONL: path})
	const n = 20
	big := bytes.Repeat([]byte(`{"AptNum":1,"Note":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},`), 2000)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := append(append([]byte("["), big...), []byte(`{"AptNum":`+string(rune('A'+i))+`}]`)...)
			req, _ := http.NewRequest(http.MethodPost, ts.url, bytes.NewReader(body))
			resp, err := ts.client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ReadJSONL(f)
	if err != nil {
		t.Fatalf("ReadJSONL: %v", err)
	}
	if len(got) != n+1 || got[0].Path != "/old" {
		t.Fatalf("%d deliveries (first %q), want %d after the old one", len(got), got[0].Path, n)
	}
	for _, d := range got[1:] {
		if len(d.Body) != len(big)+len(`[{"AptNum":A}]`) {
			t.Errorf("body of %d bytes, want %d", len(d.Body), len(big)+len(`[{"AptNum":A}]`))
		}
	}
}

func TestAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   Config
		want  []int
		lines []string // substrings of the printed lines, in order
	}{
		{name: "default", cfg: Config{}, want: []int{200, 200}},
		{name: "chosen status", cfg: Config{Status: 202}, want: []int{202, 202}, lines: []string{"-> 202\n"}},
		{name: "no content", cfg: Config{Status: 204}, want: []int{204}},
		{
			name: "fail every third", cfg: Config{FailEvery: 3},
			want:  []int{200, 200, 500, 200, 200, 500, 200},
			lines: []string{"-> 200\n", "-> 200\n", "-> 500 (fail-every 3: request 3)\n", "-> 200\n", "-> 200\n", "-> 500 (fail-every 3: request 6)\n"},
		},
		{name: "fail every with chosen status", cfg: Config{FailEvery: 2, FailStatus: 503, Status: 201}, want: []int{201, 503, 201, 503}},
		{name: "fail every first", cfg: Config{FailEvery: 1}, want: []int{500, 500}},
		{name: "fail percent 100", cfg: Config{FailPercent: 100, FailStatus: 429}, want: []int{429, 429, 429}, lines: []string{"-> 429 (fail-percent 100)\n"}},
		{name: "fail percent 0", cfg: Config{FailPercent: 0}, want: []int{200, 200, 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := start(t, tt.cfg)
			for i, want := range tt.want {
				got := ts.send(t, http.MethodPost, ts.url, dbHeaders("Appointment"), []byte(`[{"AptNum":1}]`))
				if got.status != want {
					t.Errorf("request %d: status %d, want %d", i+1, got.status, want)
				}
				if want >= 400 && !strings.Contains(got.body, "odsim listen: answering") {
					t.Errorf("request %d: failure body %q does not say it failed on purpose", i+1, got.body)
				}
				if want < 400 && got.body != "" {
					t.Errorf("request %d: success body %q, want empty", i+1, got.body)
				}
			}
			printed := ts.out.String()
			for _, l := range tt.lines {
				i := strings.Index(printed, l)
				if i < 0 {
					t.Fatalf("printed\n%s\nmissing %q (in order)", ts.out.String(), l)
				}
				printed = printed[i+len(l):]
			}
		})
	}
}

func TestFailPercentFollowsTheSeededSource(t *testing.T) {
	t.Parallel()
	const seed, percent, n = 7, 30.0, 40
	ts := start(t, Config{FailPercent: percent, Rand: rand.New(rand.NewPCG(seed, seed))})
	same := rand.New(rand.NewPCG(seed, seed))
	failed := 0
	for i := range n {
		want := 200
		if same.Float64()*100 < percent {
			want = 500
			failed++
		}
		if got := ts.send(t, http.MethodPost, ts.url, nil, []byte(`[]`)); got.status != want {
			t.Errorf("request %d: status %d, want %d", i+1, got.status, want)
		}
	}
	if failed == 0 || failed == n {
		t.Errorf("seed gives %d of %d failures; pick a seed that exercises both answers", failed, n)
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	const delay = 60 * time.Millisecond
	ts := start(t, Config{Delay: delay})
	began := time.Now()
	got := ts.send(t, http.MethodPost, ts.url, dbHeaders("Operatory"), []byte(`[{"OperatoryNum":2}]`))
	if elapsed := time.Since(began); elapsed < delay {
		t.Errorf("answered after %v, want at least %v", elapsed, delay)
	}
	if got.status != 200 {
		t.Errorf("status %d", got.status)
	}
	if want := "OperatoryNum 2  -> 200 (after 60ms)\n"; !strings.HasSuffix(ts.out.String(), want) {
		t.Errorf("printed %q, want it to end %q", ts.out.String(), want)
	}
}

func TestDelayNotesSenderHangingUp(t *testing.T) {
	t.Parallel()
	ts := start(t, Config{Delay: time.Minute})
	client := &http.Client{Timeout: 50 * time.Millisecond}
	resp, err := client.Post(ts.url, "application/json", strings.NewReader(`[{"AptNum":1}]`))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("request answered with %d despite a one-minute delay", resp.StatusCode)
	}
	waitFor(t, "the hang-up line", func() bool { return strings.Contains(ts.out.String(), "-> 200 (sender hung up after ") })
}

func TestShutdownCutsDelayShort(t *testing.T) {
	t.Parallel()
	ts := start(t, Config{Delay: time.Minute})
	answered := make(chan int, 1)
	go func() {
		resp, err := ts.client.Post(ts.url, "application/json", strings.NewReader(`[]`))
		if err != nil {
			t.Errorf("POST: %v", err)
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	waitFor(t, "the request to arrive", func() bool { return ts.count.Load() == 1 })
	ts.cancel()
	select {
	case got := <-answered:
		if got != http.StatusServiceUnavailable {
			t.Errorf("status %d, want 503", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a delayed request kept shutdown waiting")
	}
	if want := "-> 503 (delay cut short: receiver stopping)\n"; !strings.HasSuffix(ts.out.String(), want) {
		t.Errorf("printed %q, want it to end %q", ts.out.String(), want)
	}
}

func TestRejectedRequests(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "d.jsonl")
	ts := start(t, Config{JSONL: path, MaxBodyBytes: 1024})

	if got := ts.send(t, http.MethodGet, ts.url+"/healthz", nil, nil); got.status != http.StatusOK || got.body != "ok\n" {
		t.Errorf("GET /healthz: status %d, body %q; want 200 ok, not printed", got.status, got.body)
	}
	got := ts.send(t, http.MethodGet, ts.url+"/favicon.ico", nil, nil)
	if got.status != http.StatusMethodNotAllowed || got.header.Get("Allow") != "POST" || !strings.Contains(got.body, "POSTed; GET is not accepted") {
		t.Errorf("GET: status %d, Allow %q, body %q", got.status, got.header.Get("Allow"), got.body)
	}
	got = ts.send(t, http.MethodPost, ts.url, dbHeaders("Patient"), bytes.Repeat([]byte("x"), 1025))
	if got.status != http.StatusRequestEntityTooLarge || !strings.Contains(got.body, "larger than 1 KiB") {
		t.Errorf("big POST: status %d, body %q", got.status, got.body)
	}
	if got := ts.send(t, http.MethodPost, ts.url, nil, bytes.Repeat([]byte("x"), 1024)); got.status != 200 {
		t.Errorf("POST at the limit: status %d, want 200", got.status)
	}

	want := "10:04:05.123  GET /favicon.ico  -> 405 (only POST is accepted)\n" +
		"10:04:05.123  POST /  WatchTable: Patient  ws=MOLLYR  -> 413 (body over 1 KiB)\n" +
		"10:04:05.123  (no Event-Type)  ws=-  non-JSON body, 1024 bytes  -> 200\n"
	if got := ts.out.String(); got != want {
		t.Errorf("printed\n%s\nwant\n%s", got, want)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ds, err := ReadJSONL(f); err != nil || len(ds) != 1 {
		t.Errorf("recorded %d deliveries (err %v), want only the accepted one", len(ds), err)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg   Config
		field string
	}{
		{Config{Status: 99}, "Status"},
		{Config{Status: 600}, "Status"},
		{Config{Status: 150}, "Status"},
		{Config{FailStatus: 1000}, "FailStatus"},
		{Config{Delay: -time.Second}, "Delay"},
		{Config{FailEvery: -1}, "FailEvery"},
		{Config{FailPercent: 150}, "FailPercent"},
		{Config{FailPercent: -0.5}, "FailPercent"},
		{Config{MaxBodyBytes: -1}, "MaxBodyBytes"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("New(%+v) = %v, want a ConfigError on %s", tt.cfg, err, tt.field)
		}
	}
	if _, err := New(Config{JSONL: filepath.Join(t.TempDir(), "missing", "d.jsonl")}); err == nil || !strings.Contains(err.Error(), "open jsonl file") {
		t.Errorf("unwritable JSONL path: %v", err)
	}
}

func TestListenReportsPortInUse(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { taken.Close() })
	s, err := New(Config{Addr: taken.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Listen(); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("Listen on a taken port: %v", err)
	}
}

// BenchmarkDelivery measures one 1000-appointment batch (Open Dental's largest) through the handler:
// reading, summarising, recording to JSONL and printing.
func BenchmarkDelivery(b *testing.B) {
	var el bytes.Buffer
	el.WriteString(`{"AptNum":1,"PatNum":2,"AptStatus":"Scheduled","Pattern":"//XXXX//","Confirmed":19,"confirmed":"Not Called",`)
	el.WriteString(`"TimeLocked":"false","Op":1,"Note":"Zoë needs a blanket","ProvNum":1,"provAbbr":"DOC1","ProvHyg":0,`)
	el.WriteString(`"AptDateTime":"2026-11-30 09:00:00","NextAptNum":0,"UnschedStatus":0,"unschedStatus":"","IsNewPatient":"false",`)
	el.WriteString(`"ProcDescript":"PA, BWX","ClinicNum":0,"IsHygiene":"false","DateTStamp":"2026-11-28 10:04:05"}`)
	body := []byte("[" + strings.TrimSuffix(strings.Repeat(el.String()+",", 1000), ",") + "]")
	for _, verbose := range []bool{false, true} {
		b.Run("verbose="+strconv.FormatBool(verbose), func(b *testing.B) {
			s, err := New(Config{Verbose: verbose, JSONL: filepath.Join(b.TempDir(), "d.jsonl")})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
				req.Header.Set("Event-Type", "WatchTable: Appointment")
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}

// A sender that trickles its body is cut off after ReadTimeout (before, it held the connection for as
// long as it liked); a Delay longer than ReadTimeout is not cut, since the body was read.
func TestSlowSenderIsCutOff(t *testing.T) {
	t.Parallel()
	ts := start(t, Config{ReadTimeout: 300 * time.Millisecond, Delay: 600 * time.Millisecond})
	c, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n[")
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	var ne net.Error
	if _, err := io.ReadAll(c); errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the trickling sender's connection was still open after 15s")
	}
	if r := ts.send(t, "POST", ts.url+"/", nil, []byte("[]")); r.status != 200 {
		t.Errorf("a POST answered after a delay longer than ReadTimeout: %d %q", r.status, r.body)
	}
}
