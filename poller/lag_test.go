package poller_test

import (
	"testing"
	"time"

	"github.com/odsim/odsim/store/storetest"
)

// A statement that started before a poll's T but became visible only after the poll read its window —
// here an INSERT that runs for two seconds — stamps its row with its start, inside the window the poll
// has just delivered and closed. Open Dental's algorithm (T is the database's NOW(), with no allowance
// for statements in flight) never sends that row; the fault harness (bench/faults) met it once in
// ~600,000 changes. odsim reproduces that by default, and closes the gap with a window that ends
// WindowLag (odsim serve --window-lag) before NOW().
func TestSlowStatementStraddlingAPoll(t *testing.T) {
	t.Parallel()
	storetest.RequireServer(t) // SLEEP() inside an INSERT, information_schema.PROCESSLIST
	for _, tc := range []struct {
		name      string
		lag       time.Duration
		delivered bool
	}{
		{"faithful: never sent", 0, false},
		{"window lag 3s: sent", 3 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{windowLag: tc.lag})
			rc := newReceiver(t, nil)
			num := h.subscribe(rc.URL(), "Patient", "", 1, "NOW() - INTERVAL 1 HOUR")
			done := make(chan error, 1)
			go func() {
				// DateTStamp is the statement's start; the row appears when the statement ends, 2 s later.
				_, err := h.db.SQL().ExecContext(h.ctx, "INSERT INTO patient (PatNum, LName, FName) SELECT 77, 'Slow', IF(SLEEP(2) = 0, 'Insert', 'x')")
				done <- err
			}()
			deadline := time.Now().Add(5 * time.Second)
			for running := 0; running == 0; {
				if err := h.db.SQL().QueryRowContext(h.ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'INSERT INTO patient%SLEEP%'").Scan(&running); err != nil {
					t.Fatal(err)
				}
				if time.Now().After(deadline) {
					t.Fatal("the slow INSERT did not start within 5 s")
				}
			}
			started := h.dbNow()
			h.waitNextSecond(started) // the statement's second has passed: without a lag, the row's stamp is before T
			h.pollNow(num)            // the row is not visible yet; the cursor moves to T
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
