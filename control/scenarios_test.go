package control_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/scenario"
	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/demo"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/uievents"
	"github.com/odsim/odsim/webhook"
)

// scenarioAPI is the control API with scenario runs over a database holding the demo practice, wired
// as odsim serve wires it.
type scenarioAPI struct {
	srv *httptest.Server
	mux *http.ServeMux
	db  *store.DB
	m   *scenario.Manager
}

// withDemo loads the demo practice, which runs that apply steps need; tests that only start, refuse or
// stop runs go without it.
const (
	withDemo    = true
	withoutDemo = false
)

func newScenarioAPI(t testing.TB, opts control.Options, maxRunning int, practice bool) *scenarioAPI {
	t.Helper()
	db := storetest.New(t)
	if practice {
		if _, err := demo.Load(context.Background(), db.SQL(), demo.Options{}); err != nil {
			t.Fatalf("load demo practice: %v", err)
		}
	}
	sender := webhook.NewSender(webhook.Config{Timeout: 5 * time.Second})
	ws := uievents.New(uievents.Config{Workstations: []string{"FRONTDESK"}}, db, sender)
	t.Cleanup(func() { ws.Close(context.Background()) })
	m := scenario.NewManager(scenario.ManagerConfig{DB: db.SQL(), MaxRunning: maxRunning,
		Selector: scenario.SelectorFunc(func(ctx context.Context, w string, patNum int64) error {
			_, err := ws.SelectPatient(ctx, w, patNum, true)
			return err
		})})
	t.Cleanup(m.Close)
	p := poller.New(poller.Config{Workstations: []string{"FRONTDESK"}}, db, sender)
	mux := http.NewServeMux()
	if err := control.Register(mux, control.Services{Poller: p, Pollable: db, Workstations: ws,
		Log: deliveries.New(deliveries.Config{}), Clock: db, Scenarios: m}, opts); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &scenarioAPI{srv: srv, mux: mux, db: db, m: m}
}

// call sends body (JSON, when not empty) and decodes the JSON object answered.
func (s *scenarioAPI) call(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" || method == "POST" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %s", method, path, data)
	}
	return resp.StatusCode, out
}

// follow GETs run id until it is no longer running, within a bound.
func (s *scenarioAPI) follow(t *testing.T, id any, until func(map[string]any) bool) map[string]any {
	t.Helper()
	path := "/odsim/v1/scenarios/" + jsonNumber(id)
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, st := s.call(t, "GET", path, "")
		if until(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %v: still %v after 20s", id, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func notRunning(st map[string]any) bool { return st["state"] != "running" }

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// A built-in scenario started on the control API runs to its end and reports its progress.
func TestScenarioRunsAndReportsProgress(t *testing.T) {
	t.Parallel()
	s := newScenarioAPI(t, control.Options{}, 0, withDemo)
	status, st := s.call(t, "POST", "/odsim/v1/scenarios", `{"name":"new-patient","speed":"max","start":"2026-12-02 12:00:00"}`)
	if status != http.StatusAccepted || st["state"] != "running" || st["scenario"] != "new-patient" || st["total"] != float64(12) || st["start"] != "2026-12-02 12:00:00" {
		t.Fatalf("start: %d %v", status, st)
	}
	st = s.follow(t, st["id"], notRunning)
	if st["state"] != "done" || st["applied"] != st["total"] || st["total"] != float64(12) {
		t.Fatalf("run ended as %v", st)
	}
	steps := st["steps"].([]any)
	second := steps[1].(map[string]any)
	if second["op"] != "add-patient" || second["table"] != "patient" || second["at"] != "2026-12-02 12:00:30" {
		t.Errorf("step 2 = %v", second)
	}
	var n int
	if err := s.db.SQL().QueryRow("SELECT COUNT(*) FROM patient WHERE LName = 'Okafor'").Scan(&n); err != nil || n != 2 {
		t.Errorf("the run added %d Okafors (%v), want 2", n, err)
	}
	_, list := s.call(t, "GET", "/odsim/v1/scenarios", "")
	if runs := list["runs"].([]any); len(runs) != 1 || len(list["builtin"].([]any)) != len(scenario.Builtins()) || list["maxRunning"] != float64(scenario.DefaultMaxRunning) {
		t.Errorf("list = %v", list)
	}
}

// Every bad start request is refused with a 4xx that says what is wrong, and starts nothing.
func TestScenarioStartRefusesBadRequests(t *testing.T) {
	t.Parallel()
	s := newScenarioAPI(t, control.Options{}, 0, withoutDemo)
	cases := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"nothing", "POST", "/odsim/v1/scenarios", `{}`, 400, "Give name"},
		{"both", "POST", "/odsim/v1/scenarios", `{"name":"new-patient","yaml":"steps: []"}`, 400, "not both"},
		{"unknown built-in", "POST", "/odsim/v1/scenarios", `{"name":"nope"}`, 400, `No built-in scenario "nope": the built-ins are `},
		{"bad step", "POST", "/odsim/v1/scenarios", `{"yaml":"steps:\n  - fly: {}\n"}`, 400, "request.yaml:2: step 1 (fly): unknown operation"},
		{"speed word", "POST", "/odsim/v1/scenarios", `{"name":"new-patient","speed":"fast"}`, 400, "use max or a factor from 0.01 to 1000000"},
		{"speed tiny", "POST", "/odsim/v1/scenarios", `{"name":"new-patient","speed":1e-300}`, 400, `speed "1e-300": use max or a factor from 0.01`},
		{"speed zero", "POST", "/odsim/v1/scenarios", `{"name":"new-patient","speed":0}`, 400, "use max or a factor"},
		{"speed negative", "POST", "/odsim/v1/scenarios", `{"name":"new-patient","speed":"-1"}`, 400, "use max or a factor"},
		{"speed huge", "POST", "/odsim/v1/scenarios", `{"name":"new-patient","speed":1e400}`, 400, "use max or a factor"},
		{"speed NaN", "POST", "/odsim/v1/scenarios", `{"name":"new-patient","speed":"NaN"}`, 400, "use max or a factor"},
		{"speed too slow for the timeline", "POST", "/odsim/v1/scenarios", `{"yaml":"steps:\n  - at: 1000000h\n    update-patient: {patient: 1, HmPhone: \"1\"}\n","speed":0.01}`, 400, "too far away to wait for"},
		{"start", "POST", "/odsim/v1/scenarios", `{"name":"new-patient","start":"tomorrow"}`, 400, `start "tomorrow": use yyyy-mm-dd hh:mm:ss.`},
		{"unknown field", "POST", "/odsim/v1/scenarios", `{"name":"new-patient","sped":1}`, 400, `Unknown field "sped": the fields are name, yaml, speed, start.`},
		{"invalid UTF-8", "POST", "/odsim/v1/scenarios", "{\"name\":\"new-pat\xffient\"}", 400, "Request body is not valid UTF-8."},
		{"key in other case", "POST", "/odsim/v1/scenarios", `{"Name":"new-patient"}`, 400, `Unknown field "Name": field names are case-sensitive; did you mean name?`},
		{"key twice", "POST", "/odsim/v1/scenarios", `{"name":"nope","name":"new-patient"}`, 400, `"name" is given more than once.`},
		{"wrong type", "POST", "/odsim/v1/scenarios", `{"name":7}`, 400, "name must be a string, not a number."},
		{"two objects", "POST", "/odsim/v1/scenarios", `{"name":"new-patient"}{}`, 400, "Request body must hold one JSON object and nothing after it."},
		{"NUL in yaml", "POST", "/odsim/v1/scenarios", `{"yaml":"steps: []\u0000"}`, 400, `yaml must not contain U+0000`},
		{"lone surrogate", "POST", "/odsim/v1/scenarios", `{"name":"new-\udc00patient"}`, 400, `name holds a lone UTF-16 surrogate (\udc00)`},
		{"run not found", "GET", "/odsim/v1/scenarios/42", "", 404, "No scenario run 42"},
		{"run id", "DELETE", "/odsim/v1/scenarios/x", "", 400, `The run ID in the URL must be a positive whole number, not "x".`},
		{"list query", "GET", "/odsim/v1/scenarios?state=running", "", 400, "takes no query parameters"},
		{"method", "PUT", "/odsim/v1/scenarios/1", "", 405, "PUT /odsim/v1/scenarios/1 is not allowed: use GET, DELETE."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, out := s.call(t, c.method, c.path, c.body)
			if msg, _ := out["error"].(string); status != c.status || !strings.Contains(msg, c.want) {
				t.Errorf("%d %v, want %d and %q", status, out, c.status, c.want)
			}
		})
	}
	if runs := s.m.Runs(); len(runs) != 0 {
		t.Errorf("refused requests started %d runs", len(runs))
	}
}

// A body over 1 MiB is refused with 413, not as bad JSON.
func TestScenarioBodyTooLarge(t *testing.T) {
	t.Parallel()
	s := newScenarioAPI(t, control.Options{}, 0, withoutDemo)
	big := `{"yaml":"` + strings.Repeat("#", 2<<20) + `"}`
	status, out := s.call(t, "POST", "/odsim/v1/scenarios", big)
	if status != http.StatusRequestEntityTooLarge || out["error"] != fmt.Sprintf("Request body is larger than %d bytes.", control.MaxScenarioBytes) || out["code"] != control.TooLarge {
		t.Errorf("2 MiB body: %d %v, want 413", status, out)
	}
}

// DELETE stops a run waiting for its next step.
func TestScenarioStop(t *testing.T) {
	t.Parallel()
	s := newScenarioAPI(t, control.Options{}, 0, withDemo)
	// Real time: the second step is an hour away, so the run is waiting when it is stopped.
	_, st := s.call(t, "POST", "/odsim/v1/scenarios", `{"yaml":"steps:\n  - update-patient: {patient: 1, HmPhone: \"1\"}\n  - at: 1h\n    update-patient: {patient: 1, HmPhone: \"2\"}\n"}`)
	id := st["id"]
	s.follow(t, id, func(st map[string]any) bool { return st["applied"] == float64(1) })
	if status, _ := s.call(t, "DELETE", "/odsim/v1/scenarios/"+jsonNumber(id), ""); status != http.StatusOK {
		t.Fatalf("DELETE: %d", status)
	}
	st = s.follow(t, id, notRunning)
	if st["state"] != "stopped" || st["applied"] != float64(1) {
		t.Errorf("run after DELETE: %v", st)
	}
}

// At most MaxRunning runs are in progress: one more is refused with 429 and Retry-After, and is
// accepted once a run has stopped. (Before, 1,000 never-ending runs were accepted.)
func TestScenarioRunsAreCapped(t *testing.T) {
	t.Parallel()
	s := newScenarioAPI(t, control.Options{}, 2, withoutDemo)
	const forever = `{"yaml":"steps:\n  - at: 24h\n    update-patient: {patient: 1, HmPhone: \"1\"}\n"}`
	var ids []any
	for range 2 {
		status, st := s.call(t, "POST", "/odsim/v1/scenarios", forever)
		if status != http.StatusAccepted {
			t.Fatalf("run %d: %d %v", len(ids)+1, status, st)
		}
		ids = append(ids, st["id"])
	}
	req, _ := http.NewRequest("POST", s.srv.URL+"/odsim/v1/scenarios", strings.NewReader(forever))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(data), "2 scenario runs are in progress, the most odsim runs at once") {
		t.Fatalf("third run: %d %s (Retry-After %q), want 429", resp.StatusCode, data, resp.Header.Get("Retry-After"))
	}
	s.call(t, "DELETE", "/odsim/v1/scenarios/"+jsonNumber(ids[0]), "")
	s.follow(t, ids[0], notRunning)
	if status, st := s.call(t, "POST", "/odsim/v1/scenarios", forever); status != http.StatusAccepted {
		t.Errorf("after a stop: %d %v, want 202", status, st)
	}
}
