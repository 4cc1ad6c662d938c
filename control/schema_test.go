package control_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/deliveries"
)

// GET /odsim/v1/deliveries/{id}/schema answers the JSON Schema of that delivery's body, and the
// delivery's body, as sent, validates against it.
func TestDeliverySchema(t *testing.T) {
	t.Parallel()
	h := newHarness(t, deliveries.Config{})
	rc := newReceiver(t, http.StatusOK)
	h.exec("UPDATE patfield SET FieldValue = 'Web', SecDateTEdit = NOW() - INTERVAL 10 SECOND WHERE PatFieldNum = 5")
	h.subscribe(rc.URL(), "", "PatField", 5, "NOW() - INTERVAL 1 HOUR")
	h.subscribe(rc.URL(), "", "", 0, "")
	var poll control.PollResult
	h.call("POST", "/odsim/v1/poll", `{"settle":false}`, &poll)
	var sel control.Selection
	h.call("POST", "/odsim/v1/select-patient", `{"patNum":27}`, &sel)

	for id, body := range map[string]string{"1": "PatFieldBody", "2": "PatientSelected"} {
		r := h.do("GET", "/odsim/v1/deliveries/"+id+"/schema", "", "")
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/schema+json" {
			t.Fatalf("delivery %s schema: %d %s %s", id, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(r.Body)))
		if err != nil {
			t.Fatal(err)
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("delivery.json", doc); err != nil {
			t.Fatal(err)
		}
		schema, err := c.Compile("delivery.json")
		if err != nil {
			t.Fatalf("delivery %s schema does not compile: %v", id, err)
		}
		if defs, _ := doc.(map[string]any)["$defs"].(map[string]any); defs[body] == nil {
			t.Errorf("delivery %s schema has no $defs/%s", id, body)
		}
		var d control.Delivery
		h.call("GET", "/odsim/v1/deliveries/"+id, "", &d)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(*d.Body)))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("delivery %s (%s) does not validate against its schema: %v", id, d.EventType, err)
		}
	}
	for path, want := range map[string]int{
		"/odsim/v1/deliveries/9/schema":   http.StatusNotFound,
		"/odsim/v1/deliveries/x/schema":   http.StatusBadRequest,
		"/odsim/v1/deliveries/1/schema?a": http.StatusBadRequest,
	} {
		if r := h.do("GET", path, "", ""); r.Status != want {
			t.Errorf("GET %s: %d %s, want %d", path, r.Status, r.Body, want)
		}
	}
}
