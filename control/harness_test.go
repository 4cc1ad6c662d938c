package control_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/uievents"
	"github.com/odsim/odsim/webhook"
)

// receiver is a real HTTP server on loopback recording what arrives and answering status.
type receiver struct {
	srv    *httptest.Server
	status int

	mu   sync.Mutex
	reqs []received
}

type received struct {
	Header http.Header
	Body   []byte
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

// harness is odsim's control API over a fresh database, wired as odsim serve wires it: the poller and
// the workstations report every attempt to the delivery log.
type harness struct {
	t   *testing.T
	db  *store.DB
	p   *poller.Poller
	ws  *uievents.Workstations
	log *deliveries.Log
	srv *httptest.Server

	observed chan poller.Delivery // timed polls' attempts, for comparing with poll-now
}

func newHarness(t *testing.T, logCfg deliveries.Config, workstations ...string) *harness {
	t.Helper()
	if len(workstations) == 0 {
		workstations = []string{"MOLLYR"}
	}
	db := storetest.New(t)
	h := &harness{t: t, db: db, log: deliveries.New(logCfg), observed: make(chan poller.Delivery, 100)}
	h.loadSQL(filepath.Join("..", "testdata", "golden", "fixture.sql"))
	sender := webhook.NewSender(webhook.Config{Timeout: 5 * time.Second})
	h.p = poller.New(poller.Config{Workstations: workstations, Observe: func(d poller.Delivery) {
		h.log.Add(control.DatabaseAttempt(d))
		h.observed <- d
	}}, db, sender)
	h.ws = uievents.New(uievents.Config{Workstations: workstations, Observe: func(d uievents.Delivery) {
		h.log.Add(control.UIAttempt(d))
	}}, db, sender)
	t.Cleanup(func() { h.ws.Close(context.Background()) })
	mux := http.NewServeMux()
	if err := control.Register(mux, control.Services{Poller: h.p, Pollable: db, Workstations: h.ws, Log: h.log, Clock: db}, control.Options{}); err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

// loadSQL runs a file of SQL statements on the harness's database.
func (h *harness) loadSQL(path string) {
	h.t.Helper()
	storetest.LoadFile(h.t, h.db.SQL(), path)
}

func (h *harness) exec(query string, args ...any) {
	h.t.Helper()
	if _, err := h.db.SQL().ExecContext(context.Background(), query, args...); err != nil {
		h.t.Fatalf("exec %.60q: %v", query, err)
	}
}

// subscribe inserts a subscription and returns its number: a PatientSelected one when table is "",
// else a database one polled every pollingSeconds whose window starts at the SQL expression start.
func (h *harness) subscribe(url, workstation, table string, pollingSeconds int, start string) int64 {
	h.t.Helper()
	ui := ""
	if table == "" {
		ui, pollingSeconds, start = "PatientSelected", 0, "NOW()"
	}
	res, err := h.db.SQL().ExecContext(context.Background(),
		"INSERT INTO apisubscription (EndPointUrl, Workstation, CustomerKey, WatchTable, PollingSeconds, UiEventType, DateTimeStart, DateTimeStop, Note)"+
			" VALUES (?, ?, 'VzkmZEaUWOjnQX2z', ?, ?, ?, "+start+", '0001-01-01 00:00:00', '')",
		url, workstation, table, pollingSeconds, ui)
	if err != nil {
		h.t.Fatalf("insert subscription: %v", err)
	}
	n, _ := res.LastInsertId()
	return n
}

// cursor returns a subscription's DateTimeStart as stored.
func (h *harness) cursor(num int64) string {
	h.t.Helper()
	var s string
	if err := h.db.SQL().QueryRowContext(context.Background(),
		"SELECT DateTimeStart FROM apisubscription WHERE ApiSubscriptionNum = ?", num).Scan(&s); err != nil {
		h.t.Fatalf("read cursor: %v", err)
	}
	return s
}

// response is one answer of the control API.
type response struct {
	Status int
	Header http.Header
	Body   string
}

// do sends a request to the control API; contentType is set when not empty.
func (h *harness) do(method, path, contentType, body string) response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(data)}
}

// call sends JSON and decodes a 200 answer into out.
func (h *harness) call(method, path, body string, out any) {
	h.t.Helper()
	ct := ""
	if body != "" || method == http.MethodPost {
		ct = "application/json"
	}
	r := h.do(method, path, ct, body)
	if r.Status != http.StatusOK {
		h.t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
	}
	if err := json.Unmarshal([]byte(r.Body), out); err != nil {
		h.t.Fatalf("%s %s: decode %s: %v", method, path, r.Body, err)
	}
}
