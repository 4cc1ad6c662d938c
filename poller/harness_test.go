package poller_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/webhook"
)

// received is one POST as a loopback receiver saw it.
type received struct {
	Path   string
	Header http.Header
	Body   []byte
	Status int
}

// receiver is a real HTTP server on loopback that records every request and answers with the status
// that respond chooses for the n-th request (1-based). respond runs on the server's goroutine: it
// must not fail the test itself, and reports problems with fail, which the test reads when it ends.
type receiver struct {
	srv *httptest.Server

	mu      sync.Mutex
	reqs    []received
	respond func(n int, r *http.Request) int
	arrived chan struct{}
	errs    chan error
}

func newReceiver(t *testing.T, respond func(n int, r *http.Request) int) *receiver {
	t.Helper()
	rc := &receiver{respond: respond, arrived: make(chan struct{}, 10000), errs: make(chan error, 100)}
	if rc.respond == nil {
		rc.respond = func(int, *http.Request) int { return http.StatusOK }
	}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.reqs) + 1
		rc.mu.Unlock()
		status := rc.respond(n, r)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, received{Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body, Status: status})
		rc.mu.Unlock()
		w.WriteHeader(status)
		rc.arrived <- struct{}{}
	}))
	t.Cleanup(func() {
		rc.srv.Close()
		close(rc.errs)
		for err := range rc.errs {
			t.Errorf("receiver: %v", err)
		}
	})
	return rc
}

// fail reports a problem met while answering a request; the test fails with it when it ends.
func (rc *receiver) fail(err error) {
	select {
	case rc.errs <- err:
	default: // a hundred are reported already
	}
}

func (rc *receiver) URL() string { return rc.srv.URL + "/apievents/" }

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

// harness is one test's database, poller and sender.
//
// Unless the test asks for the real clock, the database clock is pinned: the store's pool is one
// connection whose `SET timestamp` holds NOW() (and the stamps of rows written through it) at clock,
// which the test moves on with advance instead of waiting for real seconds to pass.
type harness struct {
	t     *testing.T
	db    *store.DB
	p     *poller.Poller
	ctx   context.Context
	clock time.Time // the pinned NOW(); zero with the real clock
}

type harnessConfig struct {
	workstations []string
	timeout      time.Duration
	horizon      time.Duration
	batchSize    int
	windowLag    time.Duration
	reproduce    poller.Failures
	realClock    bool // the database's own clock, for tests of writes that really take time
	logger       *slog.Logger
	now          func() time.Time // the poller's host clock
}

func newHarness(t *testing.T, hc harnessConfig) *harness {
	t.Helper()
	return newHarnessOn(t, storetest.New(t), hc)
}

// newHarnessOn is newHarness on a given database (one of storetest.Engines').
func newHarnessOn(t *testing.T, db *store.DB, hc harnessConfig) *harness {
	t.Helper()
	if hc.workstations == nil {
		hc.workstations = []string{"MOLLYR"}
	}
	sender := webhook.NewSender(webhook.Config{Timeout: hc.timeout})
	p := poller.New(poller.Config{
		Workstations: hc.workstations,
		Horizon:      hc.horizon,
		WindowLag:    hc.windowLag,
		BatchSize:    hc.batchSize,
		Reproduce:    hc.reproduce,
		Logger:       hc.logger,
		Now:          hc.now,
	}, db, sender)
	h := &harness{t: t, db: db, p: p, ctx: context.Background()}
	if !hc.realClock {
		h.pinClock()
	}
	return h
}

// pinClock pins the database clock at the current second, on a pool of one connection.
func (h *harness) pinClock() {
	h.t.Helper()
	h.db.SQL().SetMaxOpenConns(1)
	var now int64
	if err := h.db.SQL().QueryRowContext(h.ctx, "SELECT UNIX_TIMESTAMP(NOW())").Scan(&now); err != nil {
		h.t.Fatalf("read the database clock: %v", err)
	}
	h.clock = time.Unix(now, 0)
	h.exec("SET timestamp = ?", now)
}

// advance moves the pinned database clock on by d.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	if h.clock.IsZero() {
		h.t.Fatal("advance: the harness runs on the real clock")
	}
	var now int64
	if err := h.db.SQL().QueryRowContext(h.ctx, "SELECT UNIX_TIMESTAMP(NOW())").Scan(&now); err != nil {
		h.t.Fatalf("read the database clock: %v", err)
	}
	if now != h.clock.Unix() {
		h.t.Fatalf("the pinned database clock reads %d, want %d: its connection was replaced", now, h.clock.Unix())
	}
	h.clock = h.clock.Add(d)
	h.exec("SET timestamp = ?", h.clock.Unix())
}

// exec runs SQL on the test database, failing the test on error.
func (h *harness) exec(query string, args ...any) int64 {
	h.t.Helper()
	res, err := h.db.SQL().ExecContext(h.ctx, query, args...)
	if err != nil {
		h.t.Fatalf("exec %.60q: %v", query, err)
	}
	n, _ := res.RowsAffected()
	return n
}

// subscribe inserts a database-event subscription whose window starts startAgo before the database's
// NOW() and returns its number.
func (h *harness) subscribe(url, table, workstation string, pollingSeconds int, start string) int64 {
	h.t.Helper()
	res, err := h.db.SQL().ExecContext(h.ctx,
		"INSERT INTO apisubscription (EndPointUrl, Workstation, CustomerKey, WatchTable, PollingSeconds, UiEventType, DateTimeStart, DateTimeStop, Note)"+
			" VALUES (?, ?, 'VzkmZEaUWOjnQX2z', ?, ?, '', "+start+", '0001-01-01 00:00:00', '')",
		url, workstation, table, pollingSeconds)
	if err != nil {
		h.t.Fatalf("insert subscription: %v", err)
	}
	id, _ := res.LastInsertId()
	return id
}

// cursor returns a subscription's DateTimeStart as stored.
func (h *harness) cursor(num int64) string {
	h.t.Helper()
	var s string
	if err := h.db.SQL().QueryRowContext(h.ctx, "SELECT DateTimeStart FROM apisubscription WHERE ApiSubscriptionNum = ?", num).Scan(&s); err != nil {
		h.t.Fatalf("read cursor: %v", err)
	}
	return s
}

// pollNow polls subscription num now and returns the outcomes.
func (h *harness) pollNow(num int64) []poller.Outcome {
	h.t.Helper()
	out, err := h.p.PollNow(h.ctx, num)
	if err != nil {
		h.t.Fatalf("poll now: %v", err)
	}
	return out
}

// insertAppointments inserts n appointments AptNum first..first+n-1 whose DateTStamp is secondsAgo(i)
// seconds before the database's NOW() when it starts (read once, so that a second ticking between
// two INSERTs does not shift the later rows).
func (h *harness) insertAppointments(first, n int, secondsAgo func(i int) int) {
	h.t.Helper()
	for _, q := range appointmentInserts(first, n, h.dbNow(), secondsAgo) {
		h.exec(q)
	}
}

// appointmentInserts returns the INSERTs of insertAppointments, with stamps before now, 500 rows each.
// They name every column, as the embedded engine needs.
func appointmentInserts(first, n int, now string, secondsAgo func(i int) int) []string {
	const batch = 500
	var out []string
	for done := 0; done < n; done += batch {
		var b strings.Builder
		b.WriteString("INSERT INTO appointment (AptNum, PatNum, AptStatus, Pattern, Confirmed, TimeLocked, Op, Note, ProvNum, ProvHyg," +
			" AptDateTime, NextAptNum, UnschedStatus, IsNewPatient, ProcDescript, Assistant, ClinicNum, IsHygiene, DateTStamp," +
			" DateTimeArrived, DateTimeSeated, DateTimeDismissed, InsPlan1, InsPlan2, DateTimeAskedToArrive, ProcsColored," +
			" ColorOverride, AppointmentTypeNum, SecUserNumEntry, SecDateTEntry, Priority, ProvBarText, PatternSecondary," +
			" SecurityHash, ItemOrderPlanned) VALUES ")
		for i := done; i < n && i < done+batch; i++ {
			if i > done {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "(%d, %d, 1, '//XX//', 19, 0, 1, 'n%d', 1, 0, '2026-12-01 09:00:00', 0, 0, 0, 'PerEx', 0, 0, 0,"+
				" '%s' - INTERVAL %d SECOND, '0001-01-01 00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00', 0, 0,"+
				" '0001-01-01 00:00:00', '', 0, 0, 0, '0001-01-01 00:00:00', 0, '', '', '', 0)", first+i, 1+i%50, i, now, secondsAgo(i))
		}
		out = append(out, b.String())
	}
	return out
}

// waitNextSecond makes the database clock pass the second of mark, so that rows stamped at mark fall
// before a new poll's T: the pinned clock is moved on, the real one waited for (with a bound).
func (h *harness) waitNextSecond(mark string) {
	h.t.Helper()
	if !h.clock.IsZero() {
		if m, err := time.Parse("2006-01-02 15:04:05", mark); err == nil && !h.dbTime().After(m) {
			h.advance(m.Sub(h.dbTime()) + time.Second)
		}
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if h.dbNow() > mark {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatalf("database clock did not pass %s within 5s", mark)
}

// dbTime is the database's NOW().
func (h *harness) dbTime() time.Time {
	h.t.Helper()
	t, err := time.Parse("2006-01-02 15:04:05", h.dbNow())
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

func (h *harness) dbNow() string {
	h.t.Helper()
	var now string
	if err := h.db.SQL().QueryRowContext(h.ctx, "SELECT NOW()").Scan(&now); err != nil {
		h.t.Fatalf("read NOW(): %v", err)
	}
	return now
}

// waitRunning waits, with a bound, until a statement of another session whose text is LIKE pattern
// runs on the test's database (information_schema.PROCESSLIST), checking every 20 ms.
func (h *harness) waitRunning(pattern string) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var running int
		if err := h.db.SQL().QueryRowContext(h.ctx,
			"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND INFO LIKE ?", pattern).Scan(&running); err != nil {
			h.t.Fatalf("read PROCESSLIST: %v", err)
		}
		if running > 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("no statement like %q started within 10 s", pattern)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
