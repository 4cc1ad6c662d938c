package poller_test

import (
	"testing"
	"time"

	"github.com/odsim/odsim/store/storetest"
)

// A statement that started before a poll's T but became visible only after the poll read its window —
// here an INSERT that runs for two seconds — stamps its row with its start, inside the window the poll
// has just delivered and closed. The next window starts at T, so the row is never sent. Open Dental's
// algorithm has the same gap (T is the database's NOW(), with no allowance for statements in flight);
// the fault harness (bench/faults) met it once in ~600,000 changes. Closing it needs a design choice
// (a window stop that lags NOW(), or one held before the oldest running statement), so the test is
// skipped until that choice is made.
func TestSlowStatementStraddlingAPoll(t *testing.T) {
	t.Skip("known gap, shared with Open Dental: a statement in flight across a poll's T is never delivered; see the comment")
	t.Parallel()
	storetest.RequireServer(t)
	h := newHarness(t, harnessConfig{})
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
	h.waitNextSecond(h.dbNow()) // the statement's second has passed: the row's stamp is before T
	h.pollNow(num)              // the row is not there yet; the cursor moves to T
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	h.pollNow(num)
	for _, r := range rc.requests() {
		if len(r.Body) > 2 {
			return // delivered
		}
	}
	t.Errorf("patient 77 was never delivered: its DateTStamp is before the cursor %s, which moved past it before it was visible", h.cursor(num))
}
