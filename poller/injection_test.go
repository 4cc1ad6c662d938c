package poller_test

import (
	"strings"
	"testing"
)

// Table and column names reach SQL only from the fixed field tables: a WatchTable that is not one of
// Open Dental's names — even one written straight into apisubscription — is never turned into SQL,
// and every value a subscription holds (URL, workstation, customer key, cursor) is a bound parameter.
func TestWatchTableNeverBecomesSQL(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	rc := newReceiver(t, nil)
	h.insertAppointments(1, 3, func(int) int { return 60 })
	hostile := []string{
		"Appointment; DROP TABLE patient",
		"Appointment a WHERE 1=1 UNION SELECT * FROM apisubscription --",
		"appointment", // the table's SQL name is not a WatchTable
		"Patient`",
	}
	var nums []int64
	for _, table := range hostile {
		nums = append(nums, h.subscribe(rc.URL()+"?x=');DROP%20TABLE%20appointment;--", table, "", 1, "NOW() - INTERVAL 1 HOUR"))
	}
	good := h.subscribe(rc.URL()+"?x=');DROP%20TABLE%20appointment;--", "Appointment", "MOLLYR' OR '1'='1", 1, "NOW() - INTERVAL 1 HOUR")
	h.exec("UPDATE apisubscription SET CustomerKey = ?, Workstation = '' WHERE ApiSubscriptionNum = ?", "k'); DROP TABLE patient; --", good)

	out, err := h.p.PollNow(h.ctx, 0)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	if len(out) != len(hostile)+1 {
		t.Fatalf("%d outcomes, want one per subscription (%d)", len(out), len(hostile)+1)
	}
	for _, o := range out {
		switch {
		case o.SubscriptionNum == good:
			if o.Err != nil || o.Delivered != 3 {
				t.Errorf("the well-formed subscription: delivered %d, %v", o.Delivered, o.Err)
			}
		case o.Err == nil || !strings.Contains(o.Err.Error(), "unknown WatchTable"):
			t.Errorf("subscription %d: %v, want an unknown WatchTable error", o.SubscriptionNum, o.Err)
		}
	}
	for _, table := range []string{"patient", "appointment", "apisubscription"} {
		var n int
		if err := h.db.SQL().QueryRowContext(h.ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
	for _, num := range nums {
		if got := h.cursor(num); got >= h.cursor(good) {
			t.Errorf("the cursor of hostile subscription %d moved to %s", num, got)
		}
	}
	reqs := rc.requests()
	if len(reqs) != 1 || reqs[0].Header.Get("Authorization") != "k'); DROP TABLE patient; --" {
		t.Fatalf("POSTs: %d, want the well-formed subscription's one with its customer key verbatim", len(reqs))
	}
	if !strings.Contains(reqs[0].Path, "DROP") {
		t.Errorf("URL not sent verbatim: %s", reqs[0].Path)
	}
}
