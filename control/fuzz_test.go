package control_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/scenario"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/subscriptions"
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

// FuzzScenarioBody sends arbitrary bodies to POST /odsim/v1/scenarios: the answer is 202 or a 4xx JSON
// error, never a 5xx; a refused body starts no run; and no scenario with an sql: step is ever started
// (odsim serve runs without --allow-sql here).
func FuzzScenarioBody(f *testing.F) {
	for _, seed := range []string{
		`{"name":"new-patient","speed":"max","start":"2026-12-02 12:00:00"}`,
		`{"yaml":"steps:\n  - update-patient: {patient: 1, HmPhone: \"1\"}\n","speed":1e-300}`,
		`{"yaml":"steps:\n  - sql: \"CREATE DATABASE IF NOT EXISTS pwned\"\n","speed":"max"}`,
		`{"yaml":"steps:\n  - at: 1h\n    sql: [\"UPDATE patient SET HmPhone = '1'\"]\n"}`,
		`{"name":"clinic-day","speed":0.01}`, `{"name":"x\u0000"}`, `{"name":"\ud800"}`, `{"Name":"new-patient"}`,
		`{"yaml":7}`, `{}`, `[]`, ``, `{"speed":"NaN","name":"new-patient"}`,
	} {
		f.Add([]byte(seed))
	}
	s := newScenarioAPI(f, control.Options{}, 4, withDemo)
	f.Fuzz(func(t *testing.T, body []byte) {
		before := len(s.m.Runs())
		req := httptest.NewRequest("POST", "/odsim/v1/scenarios", bytes.NewReader(body))
		req.RemoteAddr, req.Host = "127.0.0.1:1234", "127.0.0.1:30223"
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.mux.ServeHTTP(rec, req)
		if rec.Code == http.StatusAccepted {
			var req control.StartRequest
			if json.Unmarshal(body, &req) == nil && req.YAML != "" {
				if sc, err := scenario.Parse("request.yaml", []byte(req.YAML)); err == nil {
					for _, st := range sc.Steps {
						if st.Op == "sql" {
							t.Fatalf("a scenario with an sql: step was started without --allow-sql: %q", body)
						}
					}
				}
			}
			if rec.Header().Get("Location") == "" || len(s.m.Runs()) != before+1 {
				t.Fatalf("202 without a Location or a run: %q", body)
			}
			return
		}
		var e control.ErrorBody
		if rec.Code >= 500 || rec.Code < 400 || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "" || e.Code == "" {
			t.Fatalf("%d %q for body %q: want 202 or a 4xx JSON error", rec.Code, rec.Body.String(), body)
		}
		if after := len(s.m.Runs()); after != before {
			t.Fatalf("refused with %q but %d runs were started", e.Error, after-before)
		}
	})
}

// FuzzDeliveriesQuery sends arbitrary query strings to GET /odsim/v1/deliveries over a log holding
// attempts of two subscriptions: the answer is 200 or a 4xx JSON error, never a 5xx; a page is in ID
// order, newer than since, and no longer than limit (100 when not given).
func FuzzDeliveriesQuery(f *testing.F) {
	for _, seed := range []string{"", "subscription=1", "table=Appointment&status=ok", "since=3&limit=2", "since=0&wait=0.01",
		"wait=5s", "status=0", "table=WatchTable:%20Patient", "workstation=mollyr", "limit=10001", "since=-1", "sub=1",
		"since=1&since=2", "%zz", "limit=1e3", "wait=1e400", "status=failed&newest=1"} {
		f.Add(seed)
	}
	log := deliveries.New(deliveries.Config{Capacity: 50})
	for i := range 20 {
		log.Add(fuzzAttempt(int64(i%2+1), 200+100*(i%3)))
	}
	mux := http.NewServeMux()
	if err := control.Register(mux, control.Services{Log: log}, control.Options{MaxWait: 20 * time.Millisecond}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest("GET", "/odsim/v1/deliveries", nil)
		req.URL.RawQuery = query
		req.RemoteAddr, req.Host = "127.0.0.1:1234", "127.0.0.1:30223"
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			var e control.ErrorBody
			if rec.Code >= 500 || rec.Code < 400 || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "" {
				t.Fatalf("%d %q for query %q: want 200 or a 4xx JSON error", rec.Code, rec.Body.String(), query)
			}
			return
		}
		var page control.DeliveryPage
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Fatalf("200 for %q is not a page: %v", query, err)
		}
		q, _ := url.ParseQuery(query)
		limit := 100
		if v, err := strconv.Atoi(q.Get("limit")); err == nil {
			limit = v
		}
		since, _ := strconv.ParseInt(q.Get("since"), 10, 64)
		if len(page.Deliveries) > limit {
			t.Fatalf("%q: %d deliveries, more than the limit %d", query, len(page.Deliveries), limit)
		}
		for i, d := range page.Deliveries {
			if d.ID <= since || (i > 0 && d.ID <= page.Deliveries[i-1].ID) {
				t.Fatalf("%q: delivery IDs out of order or not after since: %+v", query, page.Deliveries)
			}
		}
	})
}

// fuzzAttempt is a POST attempt of subscription sub to Appointment answered with status.
func fuzzAttempt(sub int64, status int) deliveries.Attempt {
	return deliveries.Attempt{
		At:           time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC),
		Subscription: subscriptions.Subscription{Num: sub, WatchTable: subscriptions.Appointment},
		Workstation:  "MOLLYR",
		Batch:        1,
		Request:      webhook.Request{URL: "http://127.0.0.1:2097/", EventType: "WatchTable: Appointment", Body: []byte(`[{"AptNum":1}]`)},
		Elements:     1,
		Keys:         []int64{1},
		Result:       webhook.Result{Status: status},
	}
}
