package poller_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/webhook"
)

// A subscription whose endpoint is down costs a connection attempt per poll, not a read of its window:
// the first attempt reads and POSTs as ever and is refused; the next ones, while the endpoint still
// refuses, fail the same way with nothing read or sent (no elements, no body) and the cursor stays;
// once the endpoint listens, the whole window is delivered.
func TestDeadEndpointCostsAConnectPerAttempt(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	// Every NOT NULL column named, so that the embedded engine (stricter than MySQL's sql_mode='') takes it.
	for apt := 1; apt <= 2; apt++ {
		if _, err := db.SQL().ExecContext(ctx, "INSERT INTO appointment (AptNum, PatNum, AptStatus, Pattern, Confirmed, TimeLocked, Op, Note,"+
			" ProvNum, ProvHyg, AptDateTime, NextAptNum, UnschedStatus, IsNewPatient, ProcDescript, Assistant, ClinicNum, IsHygiene,"+
			" DateTStamp, DateTimeArrived, DateTimeSeated, DateTimeDismissed, InsPlan1, InsPlan2, DateTimeAskedToArrive, ProcsColored,"+
			" ColorOverride, AppointmentTypeNum, SecUserNumEntry, SecDateTEntry, Priority, ProvBarText, PatternSecondary, SecurityHash,"+
			" ItemOrderPlanned) VALUES (?, 1, 1, '//', 19, 0, 1, '', 1, 0, '2026-12-01 09:00:00', 0, 0, 0, '', 0, 0, 0,"+
			" NOW() - INTERVAL 5 SECOND, '0001-01-01', '0001-01-01', '0001-01-01', 0, 0, '0001-01-01', '', 0, 0, 0, '0001-01-01', 0, '', '', '', 0)", apt); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0") // a port that refuses now, and that the test listens on later
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	res, err := db.SQL().ExecContext(ctx, "INSERT INTO apisubscription (EndPointUrl, Workstation, CustomerKey, WatchTable, PollingSeconds,"+
		" UiEventType, DateTimeStart, DateTimeStop, Note) VALUES (?, '', 'VzkmZEaUWOjnQX2z', 'Appointment', 3600, '', NOW() - INTERVAL 1 MINUTE, '0001-01-01', '')",
		"http://"+addr+"/apievents/")
	if err != nil {
		t.Fatal(err)
	}
	num, _ := res.LastInsertId()
	var mu sync.Mutex
	var seen []poller.Delivery
	p := poller.New(poller.Config{Workstations: []string{"MOLLYR"}, Observe: func(d poller.Delivery) {
		mu.Lock()
		seen = append(seen, d)
		mu.Unlock()
	}}, db, webhook.NewSender(webhook.Config{Timeout: 5 * time.Second}))

	poll := func() poller.Outcome {
		t.Helper()
		out, err := p.PollNow(ctx, num)
		if err != nil || len(out) != 1 {
			t.Fatalf("poll: %v %+v", err, out)
		}
		return out[0]
	}
	first := poll()
	if d := first.Deliveries; len(d) != 1 || d[0].Elements != 2 || len(d[0].Request.Body) == 0 || !errors.Is(d[0].Result.Err, syscall.ECONNREFUSED) {
		t.Fatalf("first attempt: %+v", first)
	}
	for i := range 3 {
		o := poll()
		d := o.Deliveries
		if len(d) != 1 || d[0].Elements != 0 || len(d[0].Request.Body) != 0 || d[0].Keys != nil ||
			!errors.Is(d[0].Result.Err, syscall.ECONNREFUSED) || !strings.Contains(d[0].Result.Err.Error(), "nothing sent") || o.Advanced {
			t.Fatalf("attempt %d while the endpoint is down: %+v (%v)", i+2, o, o.Err)
		}
	}
	if len(seen) != 4 {
		t.Errorf("the observer saw %d attempts, want 4", len(seen))
	}

	got := make(chan string, 1)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	up := poll()
	if up.Err != nil || up.Delivered != 2 || !up.Advanced {
		t.Fatalf("once the endpoint listens: %+v", up)
	}
	if body := <-got; !strings.Contains(body, `"AptNum":1,`) || !strings.Contains(body, `"AptNum":2,`) {
		t.Errorf("delivered %s", body)
	}
}
