package scenario_test

import (
	"strings"
	"testing"
)

// A start request is plain, exact JSON: invalid UTF-8, keys in another case or given twice, wrong
// types and numbers that are not a speed get 400 before anything runs.
func TestControlAPIStartIsStrictJSON(t *testing.T) {
	srv, _ := controlServer(t)
	cases := []struct{ name, body, want string }{
		{"invalid UTF-8", "{\"name\":\"new-pat\xffient\"}", "not valid UTF-8"},
		{"key in other case", `{"Name":"new-patient"}`, `unknown field "Name"`},
		{"key twice", `{"name":"nope","name":"new-patient"}`, "name is given more than once"},
		{"wrong type", `{"name":7}`, "cannot unmarshal number"},
		{"huge speed", `{"name":"new-patient","speed":1e400}`, "use max or a positive factor"},
		{"two objects", `{"name":"new-patient"}{}`, "one JSON object"},
	}
	for _, c := range cases {
		status, out := call(t, "POST", srv.URL+"/odsim/v1/scenarios", c.body)
		msg, _ := out["error"].(string)
		if status != 400 || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %d %q, want 400 with %q", c.name, status, msg, c.want)
		}
	}
	if status, out := call(t, "GET", srv.URL+"/odsim/v1/scenarios", ""); status != 200 || len(out["runs"].([]any)) != 0 {
		t.Errorf("refused requests started runs: %d %v", status, out)
	}
}
