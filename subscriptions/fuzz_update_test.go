package subscriptions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/subscriptions"
)

// FuzzUpdateSubscription sends arbitrary bodies to PUT /api/v1/subscriptions/{num} on a real database:
// the handler never fails internally, a 200's body is the row as stored, and a refusal (400, 413)
// changes nothing. Seeds are in testdata/fuzz/FuzzUpdateSubscription.
func FuzzUpdateSubscription(f *testing.F) {
	db := storetest.New(f)
	h := subscriptions.NewHandler(db, subscriptions.HandlerOptions{Logger: slog.New(slog.DiscardHandler)})
	req := httptest.NewRequest("POST", base, bytes.NewReader([]byte(docCreateDB)))
	req.Header.Set("Authorization", authA)
	req.Header.Set("Content-Type", jsonType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		f.Fatalf("create: %d %s", rec.Code, rec.Body.String())
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before := dumpTable(t, db)
		req := httptest.NewRequest("PUT", base+"/1", bytes.NewReader(body))
		req.Header.Set("Authorization", authA)
		req.Header.Set("Content-Type", jsonType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			stored, err := db.GetSubscription(context.Background(), keyA, 1)
			if err != nil {
				t.Fatalf("updated subscription not readable: %v", err)
			}
			if js, _ := stored.MarshalJSON(); string(js) != rec.Body.String() {
				t.Fatalf("200 body differs from the stored row:\nbody   %s\nstored %s", rec.Body.String(), js)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			var msg string
			if err := json.Unmarshal(rec.Body.Bytes(), &msg); err != nil || msg == "" {
				t.Fatalf("%d body %q is not a JSON string message", rec.Code, rec.Body.String())
			}
			if after := dumpTable(t, db); after != before {
				t.Fatalf("refused with %q but apisubscription changed:\nbefore\n%s\nafter\n%s", msg, before, after)
			}
		default:
			t.Fatalf("status %d %s for body %q", rec.Code, rec.Body.String(), body)
		}
	})
}
