package control_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/subscriptions"
)

// TestPollNowLikeATimedPoll: POST /odsim/v1/poll answers after the receiver has the batch, with the
// delivery as logged, and leaves DateTimeStart exactly where a timed poll leaves it: at the window's
// stop after a 200, unchanged after a failure.
func TestPollNowLikeATimedPoll(t *testing.T) {
	t.Parallel()
	h := newHarness(t, deliveries.Config{})
	ok, failing := newReceiver(t, http.StatusOK), newReceiver(t, http.StatusInternalServerError)
	// Forced ones are not due for an hour; timed ones are due now.
	const start = "NOW() - INTERVAL 10 SECOND"
	forcedOK := h.subscribe(ok.URL()+"forced", "", "Appointment", 3600, start)
	forcedFail := h.subscribe(failing.URL()+"forced", "MOLLYR", "Appointment", 3600, start)
	timedOK := h.subscribe(ok.URL()+"timed", "", "Appointment", 1, start)
	timedFail := h.subscribe(failing.URL()+"timed", "MOLLYR", "Appointment", 1, start)
	h.exec("INSERT INTO appointment (AptNum, PatNum, AptStatus, Pattern, Op, DateTStamp) VALUES" +
		" (501, 27, 1, '//', 1, NOW() - INTERVAL 5 SECOND), (502, 28, 1, '//', 1, NOW() - INTERVAL 4 SECOND)")
	failStart := h.cursor(forcedFail)

	for _, tc := range []struct {
		num      int64
		rc       *receiver
		advanced bool
		status   int
		err      string
	}{
		{forcedOK, ok, true, 200, ""},
		{forcedFail, failing, false, 500, "batch 1: HTTP 500 (only 200 counts as delivered)"},
	} {
		before := len(tc.rc.requests())
		var res control.PollResult
		h.call("POST", "/odsim/v1/poll", fmt.Sprintf(`{"subscription":%d}`, tc.num), &res)
		if len(tc.rc.requests()) != before+1 {
			t.Errorf("subscription %d: the receiver did not have the batch when poll answered", tc.num)
		}
		if len(res.Outcomes) != 1 {
			t.Fatalf("subscription %d: %d outcomes, want 1", tc.num, len(res.Outcomes))
		}
		o := res.Outcomes[0]
		if o.Subscription != tc.num || o.Workstation != "MOLLYR" || o.Advanced != tc.advanced || o.Error != tc.err ||
			len(o.Deliveries) != 1 {
			t.Fatalf("outcome %+v", o)
		}
		d := o.Deliveries[0]
		if d.ID == 0 || d.Status != tc.status || d.Elements != 2 || !slices.Equal(d.Keys, []int64{501, 502}) ||
			d.EventType != "WatchTable: Appointment" || d.WindowStop != o.WindowStop || d.Batch != 1 {
			t.Errorf("delivery %+v", d)
		}
		logged, found := h.log.Get(d.ID)
		if !found || logged.SubscriptionNum != tc.num || logged.Status != tc.status {
			t.Errorf("log record %d = %+v", d.ID, logged)
		}
		want := o.WindowStop
		if !tc.advanced {
			want = failStart
		}
		if got := h.cursor(tc.num); got != want {
			t.Errorf("subscription %d cursor %s, want %s", tc.num, got, want)
		}
	}

	// The timed poll of twin subscriptions, by the poller's own schedule.
	h.p.Tick(context.Background())
	h.p.Wait()
	stops := map[int64]time.Time{}
	for len(h.observed) > 0 {
		d := <-h.observed
		if d.Subscription.Num == timedOK || d.Subscription.Num == timedFail {
			stops[d.Subscription.Num] = d.WindowStop
		}
	}
	if len(stops) != 2 {
		t.Fatalf("the timed poll sent to %v, want both timed subscriptions", stops)
	}
	if got, want := h.cursor(timedOK), subscriptions.FormatDateTime(stops[timedOK]); got != want {
		t.Errorf("timed poll after 200: cursor %s, want the window's stop %s", got, want)
	}
	if got := h.cursor(timedFail); got != failStart {
		t.Errorf("timed poll after 500: cursor %s, want it unchanged at %s", got, failStart)
	}
}

// TestPollSettles: a row changed in the same database second as the poll request is in the window,
// because the poll waits for the database clock to pass that second.
func TestPollSettles(t *testing.T) {
	t.Parallel()
	h := newHarness(t, deliveries.Config{})
	rc := newReceiver(t, http.StatusOK)
	num := h.subscribe(rc.URL(), "", "Appointment", 3600, "NOW() - INTERVAL 10 SECOND")
	for i := range 3 {
		h.exec(fmt.Sprintf("INSERT INTO appointment (AptNum, PatNum, AptStatus, Pattern, Op) VALUES (%d, 27, 1, '//', 1)", 600+i))
		var res control.PollResult
		h.call("POST", "/odsim/v1/poll", fmt.Sprintf(`{"subscription":%d}`, num), &res)
		if o := res.Outcomes[0]; o.Delivered != 1 || !o.Advanced || !slices.Equal(o.Deliveries[0].Keys, []int64{int64(600 + i)}) {
			t.Errorf("poll %d right after an insert: %+v", i, o)
		}
	}
}

// TestPollAll: with no body, every pollable subscription is polled on every workstation it names.
func TestPollAll(t *testing.T) {
	t.Parallel()
	h := newHarness(t, deliveries.Config{}, "MOLLYR", "FRONTDESK")
	rc := newReceiver(t, http.StatusOK)
	const start = "NOW() - INTERVAL 10 SECOND"
	blank := h.subscribe(rc.URL(), "", "Patient", 3600, start)
	front := h.subscribe(rc.URL(), "FRONTDESK", "Operatory", 3600, start)
	h.exec("UPDATE patient SET DateTStamp = NOW() - INTERVAL 5 SECOND")
	h.exec("UPDATE operatory SET DateTStamp = NOW() - INTERVAL 5 SECOND")
	h.subscribe(rc.URL(), "", "", 0, "") // UI subscriptions are not polled
	var res control.PollResult
	h.call("POST", "/odsim/v1/poll", "", &res)
	var got []string
	for _, o := range res.Outcomes {
		got = append(got, fmt.Sprintf("%d@%s:%d", o.Subscription, o.Workstation, o.Delivered))
	}
	slices.Sort(got)
	want := []string{fmt.Sprintf("%d@FRONTDESK:2", blank), fmt.Sprintf("%d@FRONTDESK:1", front), fmt.Sprintf("%d@MOLLYR:2", blank)}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	if n := len(rc.requests()); n != 3 {
		t.Errorf("receiver got %d POSTs, want 3", n)
	}
}

// TestSelectPatientEndpoint fires PatientSelected through the API and follows it into the log.
func TestSelectPatientEndpoint(t *testing.T) {
	t.Parallel()
	h := newHarness(t, deliveries.Config{})
	rc := newReceiver(t, http.StatusOK)
	sub := h.subscribe(rc.URL(), "", "", 0, "")

	var sel control.Selection
	h.call("POST", "/odsim/v1/select-patient", `{"workstation":"mollyr","patNum":27}`, &sel)
	if !sel.Fired || !sel.Waited || sel.Workstation != "MOLLYR" || sel.PatNum != 27 ||
		!slices.Equal(sel.Subscriptions, []int64{sub}) || len(sel.Deliveries) != 1 || len(rc.requests()) != 1 {
		t.Fatalf("selection %+v; receiver has %d", sel, len(rc.requests()))
	}
	d := sel.Deliveries[0]
	if d.ID != 1 || !d.OK || d.EventType != "UiEventType: PatientSelected" || !slices.Equal(d.Keys, []int64{27}) ||
		d.Elements != 1 || d.Batch != 0 || d.WindowStart != "" {
		t.Errorf("delivery %+v", d)
	}

	h.call("POST", "/odsim/v1/select-patient", `{"workstation":"MOLLYR","patNum":27}`, &sel)
	if sel.Fired || len(sel.Deliveries) != 0 || sel.Previous != 27 || len(rc.requests()) != 1 {
		t.Errorf("same patient again: %+v", sel)
	}

	var ws control.WorkstationList
	h.call("GET", "/odsim/v1/workstations", "", &ws)
	if !slices.Equal(ws.Workstations, []control.Workstation{{Name: "MOLLYR", PatNum: 27}}) {
		t.Errorf("workstations %+v", ws)
	}

	var full control.Delivery
	h.call("GET", "/odsim/v1/deliveries/1", "", &full)
	golden, err := os.ReadFile(filepath.Join("..", "testdata", "golden", "PatientSelected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if full.Body == nil || *full.Body+"\n" != string(golden) || full.Headers.Get("Workstation") != "MOLLYR" ||
		full.Headers.Get("Authorization") != "VzkmZEaUWOjnQX2z" || full.BodySize != len(golden)-1 {
		t.Errorf("full delivery %+v", full)
	}

	// Without waiting, the answer comes before the deliveries; the log has them soon after.
	h.call("POST", "/odsim/v1/select-patient", `{"patNum":28,"wait":false}`, &sel)
	if !sel.Fired || sel.Waited || len(sel.Deliveries) != 0 {
		t.Errorf("selection without waiting: %+v", sel)
	}
	var page control.DeliveryPage
	h.call("GET", "/odsim/v1/deliveries?since=1&wait=5s", "", &page)
	if len(page.Deliveries) != 1 || !slices.Equal(page.Deliveries[0].Keys, []int64{28}) {
		t.Errorf("after selecting 28 without waiting, the log has %+v", page)
	}
}

// TestDeliveriesEndpoint: filters, paging, long poll and the bound, over HTTP.
func TestDeliveriesEndpoint(t *testing.T) {
	t.Parallel()
	h := newHarness(t, deliveries.Config{Capacity: 4}, "MOLLYR", "FRONTDESK")
	ok, failing := newReceiver(t, http.StatusOK), newReceiver(t, http.StatusServiceUnavailable)
	okSub := h.subscribe(ok.URL(), "", "", 0, "")
	failSub := h.subscribe(failing.URL(), "FRONTDESK", "", 0, "")
	var sel control.Selection
	h.call("POST", "/odsim/v1/select-patient", `{"workstation":"MOLLYR","patNum":27}`, &sel)    // 1 ok
	h.call("POST", "/odsim/v1/select-patient", `{"workstation":"FRONTDESK","patNum":28}`, &sel) // 2 and 3: one ok, one failed

	list := func(query string) []int64 {
		t.Helper()
		var p control.DeliveryPage
		h.call("GET", "/odsim/v1/deliveries"+query, "", &p)
		var ids []int64
		for _, d := range p.Deliveries {
			ids = append(ids, d.ID)
		}
		return ids
	}
	// The second selection POSTs to both subscriptions at once, so which of 2 and 3 failed is up to
	// the race; the failing subscription's record says which.
	failed := list("?subscription=" + fmt.Sprint(failSub))
	if len(failed) != 1 || (failed[0] != 2 && failed[0] != 3) {
		t.Fatalf("the failing subscription's deliveries are %v, want one of 2 and 3", failed)
	}
	fail, okSecond := failed[0], 5-failed[0]
	for query, want := range map[string][]int64{
		"":                                     {1, 2, 3},
		"?subscription=" + fmt.Sprint(okSub):   {1, okSecond},
		"?subscription=" + fmt.Sprint(failSub): {fail},
		"?status=ok":                           {1, okSecond},
		"?status=failed":                       {fail},
		"?status=503":                          {fail},
		"?workstation=frontdesk":               {2, 3},
		"?table=PatientSelected":               {1, 2, 3},
		"?table=patientselected&limit=1":       {3},
		"?table=Appointment":                   nil,
		"?since=1&limit=1":                     {2},
		"?since=3&wait=0":                      nil,
	} {
		if got := list(query); !slices.Equal(got, want) {
			t.Errorf("deliveries%s = %v, want %v", query, got, want)
		}
	}

	// A long poll answers when a matching delivery arrives.
	got := make(chan []int64)
	go func() {
		var p control.DeliveryPage
		r := h.do("GET", "/odsim/v1/deliveries?since=3&workstation=MOLLYR&wait=10s", "", "")
		_ = json.Unmarshal([]byte(r.Body), &p)
		var ids []int64
		for _, d := range p.Deliveries {
			ids = append(ids, d.ID)
		}
		got <- ids
	}()
	h.call("POST", "/odsim/v1/select-patient", `{"workstation":"MOLLYR","patNum":28}`, &sel) // 4
	select {
	case ids := <-got:
		if !slices.Equal(ids, []int64{4}) {
			t.Errorf("long poll answered %v, want [4]", ids)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("long poll did not answer")
	}

	// The log keeps 4: a fifth drops the first.
	h.call("POST", "/odsim/v1/select-patient", `{"workstation":"MOLLYR","patNum":27}`, &sel) // 5
	var p control.DeliveryPage
	h.call("GET", "/odsim/v1/deliveries", "", &p)
	if p.FirstID != 2 || p.LastID != 5 || len(p.Deliveries) != 4 {
		t.Errorf("bounded log: first %d last %d, %d deliveries", p.FirstID, p.LastID, len(p.Deliveries))
	}
	if r := h.do("GET", "/odsim/v1/deliveries/1", "", ""); r.Status != 404 || !strings.Contains(r.Body, "Delivery 1 is not in the log: it holds IDs 2 to 5") {
		t.Errorf("dropped delivery: %d %s", r.Status, r.Body)
	}
}

// TestBadInput sends bad requests to every endpoint: each gets a clear 4xx in {"error": ...} and
// nothing is sent, logged, selected or moved.
func TestBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t, deliveries.Config{}, "MOLLYR", "FRONTDESK")
	rc := newReceiver(t, http.StatusOK)
	ui := h.subscribe(rc.URL(), "", "", 0, "")
	dbSub := h.subscribe(rc.URL(), "", "Patient", 3600, "'2026-11-01 00:00:00'")
	cursor := h.cursor(dbSub)
	const js = "application/json"
	big := `{"workstation":"` + strings.Repeat("x", 20<<10) + `","patNum":27}`
	tests := []struct {
		name, method, path, ct, body string
		status                       int
		message                      string
	}{
		{"select: empty body", "POST", "/odsim/v1/select-patient", js, "", 400, "Request body is empty: send a JSON object with workstation, patNum, wait."},
		{"select: not JSON", "POST", "/odsim/v1/select-patient", js, `{"patNum":`, 400, "Request body is not valid JSON"},
		{"select: array", "POST", "/odsim/v1/select-patient", js, `[27]`, 400, "Request body must be a JSON object with workstation, patNum, wait, not an array."},
		{"select: unknown field", "POST", "/odsim/v1/select-patient", js, `{"patNum":27,"PatNum":27}`, 400, `Unknown field "PatNum": field names are case-sensitive; did you mean patNum?`},
		{"select: other field", "POST", "/odsim/v1/select-patient", js, `{"patNum":27,"clinic":1}`, 400, `Unknown field "clinic": the fields are workstation, patNum, wait.`},
		{"select: field twice", "POST", "/odsim/v1/select-patient", js, `{"patNum":27,"patNum":28}`, 400, `"patNum" is given more than once.`},
		{"select: patNum string", "POST", "/odsim/v1/select-patient", js, `{"workstation":"MOLLYR","patNum":"27"}`, 400, "patNum must be a whole number, not a string."},
		{"select: patNum fraction", "POST", "/odsim/v1/select-patient", js, `{"workstation":"MOLLYR","patNum":27.5}`, 400, "patNum must be a whole number, not number 27.5."},
		{"select: patNum missing", "POST", "/odsim/v1/select-patient", js, `{"workstation":"MOLLYR"}`, 400, "patNum is required"},
		{"select: patNum null", "POST", "/odsim/v1/select-patient", js, `{"workstation":"MOLLYR","patNum":null}`, 400, "patNum is required"},
		{"select: patNum zero", "POST", "/odsim/v1/select-patient", js, `{"workstation":"MOLLYR","patNum":0}`, 400, "patNum must be a positive whole number, not 0"},
		{"select: patNum negative", "POST", "/odsim/v1/select-patient", js, `{"workstation":"MOLLYR","patNum":-27}`, 400, "patNum must be a positive whole number, not -27"},
		{"select: unknown patient", "POST", "/odsim/v1/select-patient", js, `{"workstation":"MOLLYR","patNum":999}`, 404, "Patient 999 not found."},
		{"select: unknown workstation", "POST", "/odsim/v1/select-patient", js, `{"workstation":"BOB","patNum":27}`, 400, `workstation "BOB" is not one odsim plays: use MOLLYR, FRONTDESK`},
		{"select: workstation needed", "POST", "/odsim/v1/select-patient", js, `{"patNum":27}`, 400, "workstation is required: odsim plays MOLLYR, FRONTDESK."},
		{"select: workstation number", "POST", "/odsim/v1/select-patient", js, `{"workstation":7,"patNum":27}`, 400, "workstation must be a string, not a number."},
		{"select: wait string", "POST", "/odsim/v1/select-patient", js, `{"workstation":"MOLLYR","patNum":27,"wait":"yes"}`, 400, "wait must be true or false, not a string."},
		{"select: trailing data", "POST", "/odsim/v1/select-patient", js, `{"workstation":"MOLLYR","patNum":27}{}`, 400, "Request body must hold one JSON object and nothing after it."},
		{"select: form content type", "POST", "/odsim/v1/select-patient", "application/x-www-form-urlencoded", `{"workstation":"MOLLYR","patNum":27}`, 415, "Content-Type must be application/json"},
		{"select: no content type", "POST", "/odsim/v1/select-patient", "", `{"workstation":"MOLLYR","patNum":27}`, 415, "Content-Type must be application/json"},
		{"select: too large", "POST", "/odsim/v1/select-patient", js, big, 413, "Request body is larger than 16384 bytes."},
		{"poll: zero", "POST", "/odsim/v1/poll", js, `{"subscription":0}`, 400, "subscription must be a positive SubscriptionNum, not 0; leave it out to poll every subscription."},
		{"poll: negative", "POST", "/odsim/v1/poll", js, `{"subscription":-2}`, 400, "subscription must be a positive SubscriptionNum, not -2"},
		{"poll: string", "POST", "/odsim/v1/poll", js, `{"subscription":"2"}`, 400, "subscription must be a whole number, not a string."},
		{"poll: unknown field", "POST", "/odsim/v1/poll", js, `{"SubscriptionNum":2}`, 400, `Unknown field "SubscriptionNum": the fields are subscription, settle.`},
		{"poll: unknown subscription", "POST", "/odsim/v1/poll", js, `{"subscription":999}`, 404, "Subscription 999 cannot be polled: it does not exist, has expired, is a UI event subscription, or names a workstation odsim does not play (MOLLYR, FRONTDESK)."},
		{"poll: UI subscription", "POST", "/odsim/v1/poll", js, fmt.Sprintf(`{"subscription":%d}`, ui), 404, fmt.Sprintf("Subscription %d cannot be polled", ui)},
		{"poll: settle string", "POST", "/odsim/v1/poll", js, `{"settle":"no"}`, 400, "settle must be true or false, not a string."},
		{"poll: text body", "POST", "/odsim/v1/poll", "text/plain", `{}`, 415, "Content-Type must be application/json"},
		{"poll: empty body, no content type", "POST", "/odsim/v1/poll", "", "", 415, "Content-Type must be application/json, also for an empty body"},
		{"poll: NUL", "POST", "/odsim/v1/poll", js, `{"subscription":1,"settle":"\u0000"}`, 400, `settle must not contain U+0000`},
		{"select: lone surrogate", "POST", "/odsim/v1/select-patient", js, `{"workstation":"MOLL\ud800YR","patNum":27}`, 400, `workstation holds a lone UTF-16 surrogate (\ud800)`},
		{"deliveries: unknown parameter", "GET", "/odsim/v1/deliveries?sub=1", "", "", 400, `Unknown query parameter "sub": the parameters are subscription, table, workstation, status, since, limit, wait.`},
		{"deliveries: repeated", "GET", "/odsim/v1/deliveries?since=1&since=2", "", "", 400, "Query parameter since is given more than once."},
		{"deliveries: subscription", "GET", "/odsim/v1/deliveries?subscription=x", "", "", 400, `subscription must be a positive SubscriptionNum, not "x".`},
		{"deliveries: table", "GET", "/odsim/v1/deliveries?table=Appointments", "", "", 400, `table "Appointments" is not an event type: use Appointment, AppointmentDeleted, Operatory, PatField, Patient, Provider, Schedule, ToothInitial, PatientSelected.`},
		{"deliveries: status", "GET", "/odsim/v1/deliveries?status=good", "", "", 400, `status "good": use ok, failed, or an HTTP status code (0 for no answer).`},
		{"deliveries: since", "GET", "/odsim/v1/deliveries?since=-1", "", "", 400, `since must be a delivery ID (a whole number, 0 or more), not "-1".`},
		{"deliveries: limit zero", "GET", "/odsim/v1/deliveries?limit=0", "", "", 400, `limit must be a whole number from 1 to 10000, not "0".`},
		{"deliveries: limit huge", "GET", "/odsim/v1/deliveries?limit=10001", "", "", 400, `limit must be a whole number from 1 to 10000`},
		{"deliveries: wait", "GET", "/odsim/v1/deliveries?since=0&wait=forever", "", "", 400, `wait must be a duration from 0s to 2m0s (like 30s, or 30 for seconds), not "forever".`},
		{"deliveries: wait too long", "GET", "/odsim/v1/deliveries?since=0&wait=3m", "", "", 400, `wait must be a duration from 0s to 2m0s`},
		{"deliveries: wait without since", "GET", "/odsim/v1/deliveries?wait=5s", "", "", 400, "wait needs since"},
		{"delivery: not a number", "GET", "/odsim/v1/deliveries/abc", "", "", 400, `The delivery ID in the URL must be a positive whole number, not "abc".`},
		{"delivery: zero", "GET", "/odsim/v1/deliveries/0", "", "", 400, `not "0"`},
		{"delivery: unknown", "GET", "/odsim/v1/deliveries/999", "", "", 404, "Delivery 999 is not in the log: it holds IDs 1 to 0"},
		{"delivery: query", "GET", "/odsim/v1/deliveries/1?full=1", "", "", 400, "/odsim/v1/deliveries/1 takes no query parameters."},
		{"workstations: query", "GET", "/odsim/v1/workstations?name=MOLLYR", "", "", 400, "/odsim/v1/workstations takes no query parameters."},
		{"wrong method", "GET", "/odsim/v1/poll", "", "", 405, "GET /odsim/v1/poll is not allowed: use POST."},
		{"wrong method on one delivery", "DELETE", "/odsim/v1/deliveries/1", "", "", 405, "use GET."},
		{"unknown route", "POST", "/odsim/v1/fire", js, `{}`, 404, "No control API route POST /odsim/v1/fire: GET /odsim/v1/ lists the routes."},
		{"index query", "GET", "/odsim/v1/?all=1", "", "", 400, "/odsim/v1/ takes no query parameters."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(tt.method, tt.path, tt.ct, tt.body)
			var e control.ErrorBody
			if err := json.Unmarshal([]byte(r.Body), &e); err != nil || e.Code == "" || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Fatalf("answer is not a JSON error: %d %q (%s)", r.Status, r.Body, r.Header.Get("Content-Type"))
			}
			if r.Status != tt.status || !strings.Contains(e.Error, tt.message) {
				t.Errorf("got %d %q, want %d with %q", r.Status, e.Error, tt.status, tt.message)
			}
		})
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("bad requests sent %d POSTs", n)
	}
	if id := h.log.LastID(); id != 0 {
		t.Errorf("bad requests logged %d deliveries", id)
	}
	for _, w := range h.ws.List() {
		if w.PatNum != 0 {
			t.Errorf("bad requests selected patient %d on %s", w.PatNum, w.Name)
		}
	}
	if got := h.cursor(dbSub); got != cursor {
		t.Errorf("bad requests moved a cursor from %s to %s", cursor, got)
	}
}

// The interfaces the control API drives are what odsim's packages provide.
var _ control.Poller = (*poller.Poller)(nil)
