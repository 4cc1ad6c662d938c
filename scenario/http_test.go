package scenario_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/scenario"
)

func controlServer(t *testing.T) (*httptest.Server, *world) {
	t.Helper()
	w := newWorld(t, engines[1])
	m := scenario.NewManager(scenario.ManagerConfig{DB: w.db.SQL(), Selector: w.selector()})
	t.Cleanup(m.Close)
	mux := http.NewServeMux()
	scenario.Register(mux, m)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, w
}

func call(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
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
		t.Fatalf("%s %s: answer is not a JSON object: %s", method, url, data)
	}
	return resp.StatusCode, out
}

// TestControlAPIStartsARunAndReportsProgress starts a built-in scenario on a running odsim's control
// API and follows it to the end.
func TestControlAPIStartsARunAndReportsProgress(t *testing.T) {
	srv, w := controlServer(t)
	status, st := call(t, "POST", srv.URL+"/odsim/v1/scenarios", `{"name":"new-patient","speed":"max","start":"2026-12-02 12:00:00"}`)
	if status != http.StatusAccepted || st["state"] != "running" || st["scenario"] != "new-patient" || st["total"] != float64(12) || st["start"] != "2026-12-02 12:00:00" {
		t.Fatalf("start: %d %v", status, st)
	}
	url := srv.URL + "/odsim/v1/scenarios/" + jsonNumber(st["id"])
	deadline := time.Now().Add(10 * time.Second)
	for st["state"] == "running" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		_, st = call(t, "GET", url, "")
	}
	if st["state"] != "done" || st["applied"] != st["total"] || st["total"] != float64(12) {
		t.Fatalf("run ended as %v", st)
	}
	steps := st["steps"].([]any)
	first := steps[1].(map[string]any)
	if first["op"] != "add-patient" || first["table"] != "patient" || first["at"] != "2026-12-02 12:00:30" {
		t.Errorf("step 2 = %v", first)
	}
	w.pollAll()
	if n := len(w.rc.requests()); n < 5 {
		t.Errorf("the receiver got %d requests, want the scenario's events", n)
	}
	_, list := call(t, "GET", srv.URL+"/odsim/v1/scenarios", "")
	if runs := list["runs"].([]any); len(runs) != 1 || len(list["builtin"].([]any)) != len(scenario.Builtins()) {
		t.Errorf("list = %v", list)
	}
}

func TestControlAPIRefusesBadRequests(t *testing.T) {
	srv, _ := controlServer(t)
	cases := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"POST", "/odsim/v1/scenarios", `{}`, 400, "give name"},
		{"POST", "/odsim/v1/scenarios", `{"name":"nope"}`, 400, "no built-in scenario \"nope\""},
		{"POST", "/odsim/v1/scenarios", `{"yaml":"steps:\n  - fly: {}\n"}`, 400, "request.yaml:2: step 1 (fly): unknown operation"},
		{"POST", "/odsim/v1/scenarios", `{"name":"new-patient","speed":"fast"}`, 400, "use max or a positive factor"},
		{"POST", "/odsim/v1/scenarios", `{"name":"new-patient","sped":1}`, 400, "unknown field"},
		{"GET", "/odsim/v1/scenarios/42", "", 404, "no scenario run 42"},
		{"DELETE", "/odsim/v1/scenarios/x", "", 400, "is not a number"},
	}
	for _, c := range cases {
		status, out := call(t, c.method, srv.URL+c.path, c.body)
		if status != c.status || !strings.Contains(out["error"].(string), c.want) {
			t.Errorf("%s %s %s: %d %v, want %d and %q", c.method, c.path, c.body, status, out, c.status, c.want)
		}
	}
}

func TestControlAPIStopsARun(t *testing.T) {
	srv, _ := controlServer(t)
	// Real time: the second step is an hour away, so the run is waiting when it is stopped.
	_, st := call(t, "POST", srv.URL+"/odsim/v1/scenarios", `{"yaml":"steps:\n  - update-patient: {patient: 1, HmPhone: \"1\"}\n  - at: 1h\n    update-patient: {patient: 1, HmPhone: \"2\"}\n"}`)
	url := srv.URL + "/odsim/v1/scenarios/" + jsonNumber(st["id"])
	deadline := time.Now().Add(5 * time.Second)
	for st["applied"] != float64(1) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		_, st = call(t, "GET", url, "")
	}
	if status, _ := call(t, "DELETE", url, ""); status != http.StatusOK {
		t.Fatalf("DELETE: %d", status)
	}
	for st["state"] == "running" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		_, st = call(t, "GET", url, "")
	}
	if st["state"] != "stopped" || st["applied"] != float64(1) {
		t.Errorf("run after DELETE: %v", st)
	}
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestSimulateMakesChangesAtTheRate runs the synthetic front desk for five minutes of a fake clock at 30
// changes a minute: 150 changes, deterministic for a seed, and a real poller delivers them.
func TestSimulateMakesChangesAtTheRate(t *testing.T) {
	run := func() (scenario.SimReport, []string, *world) {
		w := newWorld(t, engines[0])
		clock := &fakeClock{now: testStart}
		var kinds []string
		rep, err := scenario.Simulate(context.Background(), w.db.SQL(), scenario.SimConfig{
			Rate: 30, Duration: 5 * time.Minute, Seed: 42, Clock: clock, Selector: w.selector(),
			OnChange: func(c scenario.Change) { kinds = append(kinds, c.Kind+" "+c.Detail) },
		})
		if err != nil {
			t.Fatal(err)
		}
		return rep, kinds, w
	}
	rep, kinds, w := run()
	if rep.Changes+rep.Refused != 150 || rep.Changes < 125 {
		t.Errorf("%d changes and %d refused, want 150 in all, few refused", rep.Changes, rep.Refused)
	}
	for _, k := range []string{"add-patient", "book-appointment", "confirm-appointment", "arrive", "complete-appointment", "set-patfield"} {
		if rep.ByKind[k] == 0 {
			t.Errorf("no %s among %v", k, rep.ByKind)
		}
	}
	_, again, _ := run()
	if strings.Join(kinds, "\n") != strings.Join(again, "\n") {
		t.Errorf("the same seed made different changes")
	}
	w.pollAll()
	if n := len(eventSet(t, w.rc.requests())); n < 50 {
		t.Errorf("%d distinct events delivered, want the simulation's changes", n)
	}
}
