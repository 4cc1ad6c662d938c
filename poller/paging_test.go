package poller_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// A row of a window that changes while the window is being sent leaves the window (its timestamp is
// now past T) and is sent again in the next one. The rows after it must not be skipped: with Open
// Dental's LIMIT offset paging they would all move up one place, the next page's offset would jump
// over one of them, and the cursor would then move past it for good. The fault harness
// (bench/faults) found this under an ordinary writer; this pins it down.
func TestRowChangedBetweenPagesSkipsNothing(t *testing.T) {
	t.Parallel()
	const rows, batch = 250, 100 // three pages
	h := newHarness(t, harnessConfig{batchSize: batch})
	h.insertAppointments(1, rows, func(int) int { return 600 }) // one second, ten minutes ago: ties broken by AptNum

	var rc *receiver
	rc = newReceiver(t, func(n int, r *http.Request) int {
		if n == 1 {
			// The first page's first row changes now: it leaves this poll's window [start, T).
			if _, err := h.db.SQL().ExecContext(h.ctx, "UPDATE appointment SET Note = 'changed while paging' WHERE AptNum = 1"); err != nil {
				rc.fail(fmt.Errorf("update during the poll: %w", err))
			}
		}
		return http.StatusOK
	})
	num := h.subscribe(rc.URL(), "Appointment", "", 1, "NOW() - INTERVAL 1 HOUR")
	out := h.pollNow(num)
	if len(out) != 1 || out[0].Err != nil || !out[0].Advanced {
		t.Fatalf("outcome = %+v", out)
	}
	seen := map[int64]bool{}
	for _, req := range rc.requests() {
		var els []struct{ AptNum int64 }
		if err := json.Unmarshal(req.Body, &els); err != nil {
			t.Fatalf("body: %v", err)
		}
		for _, e := range els {
			seen[e.AptNum] = true
		}
	}
	var missing []int64
	for apt := int64(1); apt <= rows; apt++ {
		if !seen[apt] {
			missing = append(missing, apt)
		}
	}
	if len(missing) > 0 {
		t.Errorf("the window was sent in %d POSTs without appointments %v; its cursor moved past them", len(rc.requests()), missing)
	}
}
