package control_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/odsim/odsim/deliveries"
)

// Every JSON body of the control API is refused with 400 when it is not plain, exact JSON: invalid
// UTF-8, keys in another letter case or given twice, unknown keys, wrong types and numbers that do not
// fit. (TestBadInput covers the rest of each endpoint's rules.)
func TestControlJSONIsStrict(t *testing.T) {
	t.Parallel()
	h := newHarness(t, deliveries.Config{})
	const js = "application/json"
	cases := []struct{ name, path, body, message string }{
		{"invalid UTF-8", "/odsim/v1/select-patient", "{\"workstation\":\"MOLL\xffYR\",\"patNum\":27}", "Request body is not valid UTF-8."},
		{"invalid UTF-8 in a key", "/odsim/v1/poll", "{\"subscri\xc3\x28ption\":1}", "Request body is not valid UTF-8."},
		{"huge number", "/odsim/v1/select-patient", `{"workstation":"MOLLYR","patNum":99999999999999999999}`, "patNum must be a whole number, not number 99999999999999999999."},
		{"exponent", "/odsim/v1/select-patient", `{"workstation":"MOLLYR","patNum":1e400}`, "patNum must be a whole number, not number 1e400."},
		{"huge subscription", "/odsim/v1/poll", `{"subscription":18446744073709551616}`, "subscription must be a whole number"},
		{"negative zero fraction", "/odsim/v1/poll", `{"subscription":-0.5}`, "subscription must be a whole number"},
		{"key in other case", "/odsim/v1/poll", `{"Subscription":1}`, `Unknown field "Subscription": field names are case-sensitive; did you mean subscription?`},
		{"key twice", "/odsim/v1/poll", `{"settle":false,"settle":false}`, `"settle" is given more than once.`},
		{"unknown key", "/odsim/v1/poll", `{"subscription":1,"extra":null}`, `Unknown field "extra"`},
		{"wrong type", "/odsim/v1/poll", `{"settle":1}`, "settle must be true or false, not a number."},
		{"nested", "/odsim/v1/select-patient", `{"workstation":{"name":"MOLLYR"},"patNum":27}`, "workstation must be a string, not an object."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do("POST", c.path, js, c.body)
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(r.Body), &e); err != nil {
				t.Fatalf("answer is not a JSON error: %d %q", r.Status, r.Body)
			}
			if r.Status != http.StatusBadRequest || !strings.Contains(e.Error, c.message) {
				t.Errorf("%d %q, want 400 with %q", r.Status, e.Error, c.message)
			}
		})
	}
	if h.log.LastID() != 0 {
		t.Errorf("refused requests logged %d deliveries", h.log.LastID())
	}
}
