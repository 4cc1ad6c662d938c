package control_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/uievents"
	"github.com/odsim/odsim/webhook"
)

// FuzzSelectPatientBody sends arbitrary bodies to POST /odsim/v1/select-patient (the control API's
// JSON decoding is shared by every body): the answer is 200 or a 4xx JSON error, never a 5xx, and a
// refused body selects nobody. Seeds are in testdata/fuzz/FuzzSelectPatientBody.
func FuzzSelectPatientBody(f *testing.F) {
	db := storetest.New(f)
	if _, err := db.SQL().Exec("INSERT INTO patient (PatNum, LName, FName) VALUES (27, 'Fuzz', 'Pat')"); err != nil {
		f.Fatal(err)
	}
	sender := webhook.NewSender(webhook.Config{})
	ws := uievents.New(uievents.Config{Workstations: []string{"MOLLYR"}}, db, sender)
	f.Cleanup(func() { ws.Close(context.Background()) })
	p := poller.New(poller.Config{Workstations: []string{"MOLLYR"}}, db, sender)
	mux := http.NewServeMux()
	control.Register(mux, control.Services{Poller: p, Workstations: ws, Log: deliveries.New(deliveries.Config{}), Clock: db}, control.Options{})
	f.Fuzz(func(t *testing.T, body []byte) {
		before := ws.List()[0].PatNum
		req := httptest.NewRequest("POST", "/odsim/v1/select-patient", bytes.NewReader(body))
		req.RemoteAddr = "127.0.0.1:1234"
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			return
		}
		var e struct{ Error string }
		if rec.Code >= 500 || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "" {
			t.Fatalf("%d %q for body %q: want 200 or a 4xx JSON error", rec.Code, rec.Body.String(), body)
		}
		if after := ws.List()[0].PatNum; after != before {
			t.Fatalf("refused with %q but the selection changed from %d to %d", e.Error, before, after)
		}
	})
}
