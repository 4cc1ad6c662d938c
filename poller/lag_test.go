package poller_test

import (
	"testing"
	"time"

	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/store/storetest"
)

// A statement that started before a poll's T but became visible only after the poll read its window —
// here an INSERT that runs for two seconds — stamps its row with its start, inside the window the poll
// has just delivered and closed. Open Dental's algorithm (T is the database's NOW(), with no allowance
// for statements in flight) never sends that row; the fault harness (bench/faults) met it once in
// ~600,000 changes. odsim reproduces that only when asked (odsim serve --reproduce in-flight-gap); by
// default windows end before the statement, and --window-lag still closes the gap in the reproduction.
func TestSlowStatementStraddlingAPoll(t *testing.T) {
	t.Parallel()
	storetest.RequireServer(t) // SLEEP() inside an INSERT, information_schema.PROCESSLIST
	gap := poller.Failures{poller.InFlightGap}
	for _, tc := range []struct {
		name      string
		reproduce poller.Failures
		lag       time.Duration
		delivered bool
	}{
		{"default: sent", nil, 0, true},
		{"reproduce in-flight-gap: never sent", gap, 0, false},
		{"reproduce in-flight-gap, window lag 3s: sent", gap, 3 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{windowLag: tc.lag, reproduce: tc.reproduce, realClock: true})
			rc := newReceiver(t, nil)
			num := h.subscribe(rc.URL(), "Patient", "", 1, "NOW() - INTERVAL 1 HOUR")
			done := make(chan error, 1)
			go func() {
				// DateTStamp is the statement's start; the row appears when the statement ends, 2 s later.
				_, err := h.db.SQL().ExecContext(h.ctx, "INSERT INTO patient (PatNum, LName, FName) SELECT 77, 'Slow', IF(SLEEP(2) = 0, 'Insert', 'x')")
				done <- err
			}()
			h.waitRunning("INSERT INTO patient%SLEEP%")
			started := h.dbNow()
			h.waitNextSecond(started) // the statement's second has passed: at NOW(), the row's stamp is before T
			h.pollNow(num)            // the row is not visible yet
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			// Wait until a window ending at NOW() − lag has passed the row's stamp, then poll again.
			mark, err := time.Parse("2006-01-02 15:04:05", started)
			if err != nil {
				t.Fatal(err)
			}
			h.waitNextSecond(mark.Add(tc.lag).Format("2006-01-02 15:04:05"))
			h.pollNow(num)
			delivered := false
			for _, r := range rc.requests() {
				if len(r.Body) > 2 {
					delivered = true
				}
			}
			if delivered != tc.delivered {
				t.Errorf("patient 77 delivered: %v, want %v (cursor %s)", delivered, tc.delivered, h.cursor(num))
			}
		})
	}
}
