package subscriptions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/subscriptions"
)

// FuzzCreateSubscription sends arbitrary bodies to POST /api/v1/subscriptions on a real database and
// checks that the handler never fails internally, that a 201's body is the row as stored and holds what
// was sent, and that a refusal wrote nothing. Seeds are in testdata/fuzz/FuzzCreateSubscription.
func FuzzCreateSubscription(f *testing.F) {
	db := storetest.New(f)
	h := subscriptions.NewHandler(db, subscriptions.HandlerOptions{Logger: slog.New(slog.DiscardHandler)})
	f.Fuzz(func(t *testing.T, body []byte) {
		before := dumpTable(t, db)
		req := httptest.NewRequest("POST", base, bytes.NewReader(body))
		req.Header.Set("Authorization", authA)
		req.Header.Set("Content-Type", jsonType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		switch {
		case rec.Code == http.StatusCreated:
			got := decodeWire(t, rec.Body.String())
			stored, err := db.GetSubscription(context.Background(), keyA, got.SubscriptionNum)
			if err != nil {
				t.Fatalf("created subscription %d not readable: %v", got.SubscriptionNum, err)
			}
			if js, _ := stored.MarshalJSON(); string(js) != rec.Body.String() {
				t.Fatalf("201 body differs from the stored row:\nbody   %s\nstored %s", rec.Body.String(), js)
			}
			checkRoundTrip(t, body, got)
			// Remove it, so the table stays small and later inputs are not refused as duplicates.
			if err := db.DeleteSubscription(context.Background(), keyA, got.SubscriptionNum); err != nil {
				t.Fatalf("delete: %v", err)
			}
		case rec.Code == http.StatusBadRequest || rec.Code == http.StatusRequestEntityTooLarge:
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

// checkRoundTrip checks that every field the accepted body gave is stored as given.
func checkRoundTrip(t *testing.T, body []byte, got wire) {
	t.Helper()
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		t.Fatalf("accepted body does not decode: %v", err)
	}
	str := func(k string) (string, bool) { v, ok := in[k].(string); return v, ok }
	for k, stored := range map[string]string{"EndPointUrl": got.EndPointUrl, "Workstation": got.Workstation,
		"WatchTable": got.WatchTable, "UiEventType": got.UiEventType, "Note": got.Note} {
		if v, ok := str(k); ok && v != stored {
			t.Fatalf("%s sent %q, stored %q", k, v, stored)
		}
	}
	if p, ok := in["PollingSeconds"].(float64); ok && int(p) != got.PollingSeconds {
		t.Fatalf("PollingSeconds sent %v, stored %d", p, got.PollingSeconds)
	}
	for k, stored := range map[string]string{"DateTimeStart": got.DateTimeStart, "DateTimeStop": got.DateTimeStop} {
		v, ok := str(k)
		if !ok {
			continue
		}
		want, err := subscriptions.ParseDateTime(v)
		if err != nil {
			t.Fatalf("%s %q accepted but does not parse: %v", k, v, err)
		}
		if k == "DateTimeStart" && want.Equal(subscriptions.MinDateTime) {
			continue // 0001-01-01 means "now"
		}
		if s := subscriptions.FormatDateTime(want); s != stored {
			t.Fatalf("%s sent %q, stored %q", k, v, stored)
		}
	}
}

// FuzzParseDateTime checks that the API's date parser never panics and that what it accepts is a
// whole-second UTC time Open Dental can hold, which formats and parses back to itself. Seeds are in
// testdata/fuzz/FuzzParseDateTime.
func FuzzParseDateTime(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		got, err := subscriptions.ParseDateTime(s)
		if err != nil {
			if !strings.Contains(err.Error(), "is not a date") {
				t.Fatalf("ParseDateTime(%q) error %q", s, err)
			}
			return
		}
		if got.Location() != time.UTC || got.Nanosecond() != 0 || got.Year() < 1 || got.Year() > 9999 {
			t.Fatalf("ParseDateTime(%q) = %v: not a whole-second UTC time in years 1-9999", s, got)
		}
		formatted := subscriptions.FormatDateTime(got)
		back, err := subscriptions.ParseDateTime(formatted)
		if err != nil || !back.Equal(got) || len(formatted) != len(subscriptions.DateTimeLayout) {
			t.Fatalf("ParseDateTime(%q) = %v formats as %q, which parses as %v, %v", s, got, formatted, back, err)
		}
	})
}

// Subscription JSON escapes strings as Newtonsoft.Json does by default: like encoding/json without HTML
// escaping, except that U+0085 is escaped too.
func TestMarshalJSONEscapesAsNewtonsoft(t *testing.T) {
	t.Parallel()
	for r := rune(0); r <= 0xFFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // surrogates are not runes of a UTF-8 string
		}
		note := "a" + string(r) + "b"
		want := encodeNoHTML(t, note)
		if r == 0x85 {
			want = `"a\u0085b"`
		}
		js, err := subscriptions.Subscription{Note: note}.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(js, []byte(`"Note":`+want+`}`)) {
			t.Fatalf("U+%04X: %s, want Note %s", r, js, want)
		}
	}
	js, _ := subscriptions.Subscription{Note: "bad \xff utf-8"}.MarshalJSON()
	if !bytes.HasSuffix(js, []byte(`"Note":"bad `+string(utf8.RuneError)+` utf-8"}`)) {
		t.Fatalf("invalid UTF-8: %s", js)
	}
	if !json.Valid(js) {
		t.Fatalf("not valid JSON: %s", js)
	}
}

func encodeNoHTML(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
