package uievents_test

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/subscriptions"
	"github.com/odsim/odsim/uievents"
	"github.com/odsim/odsim/webhook"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/PatientSelected*.json from what odsim sends")

// received is one POST a loopback receiver got.
type received struct {
	Header http.Header
	Body   []byte
}

// receiver is a real HTTP server on loopback recording what arrives and answering status.
type receiver struct {
	srv    *httptest.Server
	status int

	mu   sync.Mutex
	reqs []received
}

func newReceiver(t *testing.T, status int) *receiver {
	t.Helper()
	rc := &receiver{status: status}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, received{Header: r.Header.Clone(), Body: body})
		rc.mu.Unlock()
		w.WriteHeader(rc.status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) URL() string { return rc.srv.URL + "/" }

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.reqs)
}

// patNums returns the PatNum of every body received, in order.
func (rc *receiver) patNums() []string {
	var out []string
	for _, r := range rc.requests() {
		_, rest, _ := bytes.Cut(r.Body, []byte(`"PatNum":`))
		num, _, _ := bytes.Cut(rest, []byte(","))
		out = append(out, string(num))
	}
	return out
}

// fixture is one test's database with the golden fixture rows, and its workstations.
type fixture struct {
	t        *testing.T
	db       *store.DB
	ws       *uievents.Workstations
	observed chan uievents.Delivery
}

func newFixture(t *testing.T, workstations ...string) *fixture {
	t.Helper()
	db := storetest.New(t)
	f := &fixture{t: t, db: db, observed: make(chan uievents.Delivery, 100)}
	f.loadSQL(filepath.Join("..", "testdata", "golden", "fixture.sql"))
	f.ws = uievents.New(uievents.Config{
		Workstations: workstations,
		Observe:      func(d uievents.Delivery) { f.observed <- d },
	}, db, webhook.NewSender(webhook.Config{Timeout: 5 * time.Second}))
	t.Cleanup(func() { f.ws.Close(context.Background()) })
	return f
}

// loadSQL runs a file of SQL statements separated by ";\n" (lines starting with -- are comments).
func (f *fixture) loadSQL(path string) {
	f.t.Helper()
	storetest.LoadFile(f.t, f.db.SQL(), path)
}

func (f *fixture) exec(query string, args ...any) {
	f.t.Helper()
	if _, err := f.db.SQL().ExecContext(context.Background(), query, args...); err != nil {
		f.t.Fatalf("exec %.60q: %v", query, err)
	}
}

// subscribe inserts a subscription for PatientSelected (or a database event when table is set) and
// returns its number; stop is an SQL expression for DateTimeStop.
func (f *fixture) subscribe(url, workstation, table, stop string) int64 {
	f.t.Helper()
	ui, polling := "PatientSelected", 0
	if table != "" {
		ui, polling = "", 5
	}
	res, err := f.db.SQL().ExecContext(context.Background(),
		"INSERT INTO apisubscription (EndPointUrl, Workstation, CustomerKey, WatchTable, PollingSeconds, UiEventType, DateTimeStart, DateTimeStop, Note)"+
			" VALUES (?, ?, 'VzkmZEaUWOjnQX2z', ?, ?, ?, NOW(), "+stop+", '')",
		url, workstation, table, polling, ui)
	if err != nil {
		f.t.Fatalf("insert subscription: %v", err)
	}
	n, _ := res.LastInsertId()
	return n
}

const never = "'0001-01-01 00:00:00'"

func (f *fixture) selectPatient(ws string, patNum int64) uievents.Selection {
	f.t.Helper()
	sel, err := f.ws.SelectPatient(context.Background(), ws, patNum, true)
	if err != nil {
		f.t.Fatalf("select patient %d on %s: %v", patNum, ws, err)
	}
	return sel
}

// TestPatientSelectedGolden compares the bodies odsim POSTs with golden files checked by hand against the
// spec's PatientSelected field list (§4.4): its keys and order, ClinicNum as a string, the derived names.
func TestPatientSelectedGolden(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "MOLLYR")
	rc := newReceiver(t, http.StatusOK)
	f.subscribe(rc.URL(), "", "", never)
	for _, tc := range []struct {
		patNum int64
		golden string
	}{
		{27, "PatientSelected.json"},
		{28, "PatientSelected-28.json"},
	} {
		f.selectPatient("MOLLYR", tc.patNum)
		reqs := rc.requests()
		body := reqs[len(reqs)-1].Body
		path := filepath.Join("..", "testdata", "golden", tc.golden)
		if *update {
			if err := os.WriteFile(path, append(bytes.Clone(body), '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue // -update compares nothing: a file is never compared with itself
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := append(bytes.Clone(body), '\n'); !bytes.Equal(got, want) {
			t.Errorf("patient %d body differs from %s\n got: %s\nwant: %s", tc.patNum, path, got, want)
		}
	}
	if *update {
		t.Skip("-update: rewrote testdata/golden/PatientSelected*.json; review the diff against the spec, then run without -update")
	}
	h := rc.requests()[0].Header
	for k, want := range map[string]string{
		"Authorization": "VzkmZEaUWOjnQX2z",
		"Workstation":   "MOLLYR",
		"Event-Type":    "UiEventType: PatientSelected",
		"Content-Type":  "application/json",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
}

// TestWhoReceivesAndWhen: a selection on MOLLYR goes to MOLLYR's and blank-workstation subscriptions
// (any letter case), not to FRONTDESK's, expired or database ones; the same patient again fires
// nothing; another patient fires again; each workstation has its own selection.
func TestWhoReceivesAndWhen(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "MOLLYR", "FRONTDESK")
	molly, blank, lower, future := newReceiver(t, 200), newReceiver(t, 200), newReceiver(t, 200), newReceiver(t, 200)
	front, expired, db := newReceiver(t, 200), newReceiver(t, 200), newReceiver(t, 200)
	mollyNum := f.subscribe(molly.URL(), "MOLLYR", "", never)
	blankNum := f.subscribe(blank.URL(), "", "", never)
	lowerNum := f.subscribe(lower.URL(), "mollyr", "", never)
	futureNum := f.subscribe(future.URL(), "", "", "NOW() + INTERVAL 1 DAY")
	frontNum := f.subscribe(front.URL(), "FRONTDESK", "", never)
	f.subscribe(expired.URL(), "MOLLYR", "", "NOW() - INTERVAL 1 MINUTE")
	f.subscribe(db.URL(), "", "Patient", never)

	sel := f.selectPatient("mollyr", 27)
	if !sel.Fired || sel.Workstation != "MOLLYR" || sel.Previous != 0 ||
		!slices.Equal(sel.Subscriptions, []int64{mollyNum, blankNum, lowerNum, futureNum}) || len(sel.Deliveries) != 4 {
		t.Fatalf("first selection: %+v", sel)
	}
	for _, d := range sel.Deliveries {
		if !d.Result.OK() || d.Workstation != "MOLLYR" || d.PatNum != 27 {
			t.Errorf("delivery to %d: %+v", d.Subscription.Num, d)
		}
	}
	if sel := f.selectPatient("MOLLYR", 27); sel.Fired || len(sel.Subscriptions) != 0 {
		t.Errorf("selecting the same patient again fired: %+v", sel)
	}
	if sel := f.selectPatient("MOLLYR", 28); !sel.Fired || sel.Previous != 27 || len(sel.Deliveries) != 4 {
		t.Errorf("selecting another patient: %+v", sel)
	}
	if sel := f.selectPatient("FRONTDESK", 27); !sel.Fired || !slices.Equal(sel.Subscriptions, []int64{blankNum, futureNum, frontNum}) {
		t.Errorf("FRONTDESK's first selection: %+v", sel)
	}

	for name, tc := range map[string]struct {
		rc   *receiver
		want []string
	}{
		"MOLLYR":    {molly, []string{"27", "28"}},
		"blank":     {blank, []string{"27", "28", "27"}},
		"mollyr":    {lower, []string{"27", "28"}},
		"future":    {future, []string{"27", "28", "27"}},
		"FRONTDESK": {front, []string{"27"}},
		"expired":   {expired, nil},
		"database":  {db, nil},
	} {
		if got := tc.rc.patNums(); !slices.Equal(got, tc.want) {
			t.Errorf("%s subscription received patients %v, want %v", name, got, tc.want)
		}
	}
	for _, r := range front.requests() {
		if r.Header.Get("Workstation") != "FRONTDESK" {
			t.Errorf("FRONTDESK's event has Workstation %q", r.Header.Get("Workstation"))
		}
	}
	want := []uievents.Workstation{{Name: "MOLLYR", PatNum: 28}, {Name: "FRONTDESK", PatNum: 27}}
	if got := f.ws.List(); !slices.Equal(got, want) {
		t.Errorf("List() = %v, want %v", got, want)
	}
}

// TestBadSelectionFiresNothing: an unknown workstation, a PatNum that is not positive, or an unknown
// patient is refused with the right code and leaves everything as it was.
func TestBadSelectionFiresNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "MOLLYR", "FRONTDESK")
	rc := newReceiver(t, 200)
	f.subscribe(rc.URL(), "", "", never)
	tests := []struct {
		name    string
		ws      string
		patNum  int64
		code    string
		message string
	}{
		{"unknown workstation", "BOB", 27, subscriptions.Invalid, `workstation "BOB" is not one odsim plays: use MOLLYR, FRONTDESK`},
		{"no workstation with two played", "", 27, subscriptions.Invalid, "workstation is required: odsim plays MOLLYR, FRONTDESK."},
		{"zero PatNum", "MOLLYR", 0, subscriptions.Invalid, "patNum must be a positive whole number, not 0"},
		{"negative PatNum", "MOLLYR", -3, subscriptions.Invalid, "patNum must be a positive whole number, not -3"},
		{"unknown patient", "MOLLYR", 999, subscriptions.NotFound, "Patient 999 not found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.ws.SelectPatient(context.Background(), tt.ws, tt.patNum, true)
			if err == nil || subscriptions.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("got %v (code %s), want code %s with %q", err, subscriptions.ErrorCode(err), tt.code, tt.message)
			}
		})
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("bad selections sent %d events", n)
	}
	for _, w := range f.ws.List() {
		if w.PatNum != 0 {
			t.Errorf("%s has patient %d selected after bad selections", w.Name, w.PatNum)
		}
	}
	// An unknown patient after a good one leaves the good one selected: the next good one fires.
	f.selectPatient("MOLLYR", 27)
	if _, err := f.ws.SelectPatient(context.Background(), "MOLLYR", 999, true); err == nil {
		t.Fatal("unknown patient accepted")
	}
	if sel := f.selectPatient("MOLLYR", 27); sel.Fired {
		t.Error("re-selecting the patient selected before a failed selection fired")
	}
}

// TestSentBlindly: a failing subscriber gets one POST per selection, no retry, and every attempt is
// observed with its result; a subscriber that is down is observed as a transport failure.
func TestSentBlindly(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "MOLLYR")
	failing := newReceiver(t, http.StatusInternalServerError)
	down := newReceiver(t, 200)
	down.srv.Close()
	f.subscribe(failing.URL(), "", "", never)
	f.subscribe(down.URL(), "", "", never)

	sel := f.selectPatient("MOLLYR", 27)
	if len(sel.Deliveries) != 2 || sel.Deliveries[0].Result.Status != 500 || sel.Deliveries[1].Result.Err == nil {
		t.Fatalf("deliveries: %+v", sel.Deliveries)
	}
	for range 2 {
		select {
		case d := <-f.observed:
			if d.Result.OK() {
				t.Errorf("observed a failed attempt as OK: %+v", d)
			}
		default:
			t.Fatal("an attempt was not observed before SelectPatient returned")
		}
	}
	f.selectPatient("MOLLYR", 28)
	if got := failing.patNums(); !slices.Equal(got, []string{"27", "28"}) {
		t.Errorf("failing subscriber received %v, want one POST per selection [27 28]", got)
	}
}

// TestWithoutWaitInSelectionOrder: without waiting the call returns before the POSTs are answered, and
// events of one subscription still arrive in selection order.
func TestWithoutWaitInSelectionOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "MOLLYR")
	rc := newReceiver(t, 200)
	f.subscribe(rc.URL(), "", "", never)
	for _, p := range []int64{27, 28, 27, 28} {
		sel, err := f.ws.SelectPatient(context.Background(), "MOLLYR", p, false)
		if err != nil || !sel.Fired || sel.Deliveries != nil {
			t.Fatalf("select %d: %+v, %v", p, sel, err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(rc.requests()) < 4 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := rc.patNums(); !slices.Equal(got, []string{"27", "28", "27", "28"}) {
		t.Errorf("received %v, want [27 28 27 28]", got)
	}
}

// TestOnlyWorkstationIsDefault: with one workstation, an empty name means it.
func TestOnlyWorkstationIsDefault(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "MOLLYR")
	if sel := f.selectPatient("", 27); sel.Workstation != "MOLLYR" || !sel.Fired {
		t.Errorf("selection without a workstation: %+v", sel)
	}
}
