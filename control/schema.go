package control

import (
	"net/http"

	"github.com/odsim/odsim/catalogue"
)

// getDeliverySchema answers GET /odsim/v1/deliveries/{id}/schema: the JSON Schema (draft 2020-12) of
// that delivery's body, from the event catalogue (odsim catalogue --format jsonschema --table <event>),
// so a test that holds a delivery can validate it, or generate types for it, without knowing its event.
func (a *api) getDeliverySchema(w http.ResponseWriter, r *http.Request) {
	rec, ok := a.delivery(w, r)
	if !ok {
		return
	}
	ev := catalogue.EventOf(rec.EventType)
	if ev == nil {
		a.fail(w, r, Errorf(NotFound, "Delivery %d has Event-Type %q, which names no event of the catalogue.", rec.ID, rec.EventType))
		return
	}
	doc, err := catalogue.Indent(catalogue.JSONSchema([]*catalogue.Event{ev}))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/schema+json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc)
}
