package poller

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/webhook"
)

// The poller keeps a lock per subscription and workstation; once a subscription is gone, a tick drops
// its lock (at most once a minute), so that memory follows the subscriptions that exist.
func TestLocksOfGoneSubscriptionsAreDropped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	p := New(Config{Workstations: []string{"MOLLYR"}, Now: func() time.Time { return clock }}, db, webhook.NewSender(webhook.Config{}))
	var nums []int64
	for range 2 {
		res, err := db.SQL().ExecContext(ctx, "INSERT INTO apisubscription (EndPointUrl, Workstation, CustomerKey, WatchTable, PollingSeconds, UiEventType, DateTimeStart, DateTimeStop, Note)"+
			" VALUES (?, '', 'VzkmZEaUWOjnQX2z', 'Patient', 3600, '', NOW(), '0001-01-01 00:00:00', '')", srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := res.LastInsertId()
		nums = append(nums, n)
	}
	if _, err := p.PollNow(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if n := len(p.locks); n != 2 {
		t.Fatalf("%d locks after polling two subscriptions", n)
	}
	if _, err := db.SQL().ExecContext(ctx, "DELETE FROM apisubscription WHERE ApiSubscriptionNum = ?", nums[0]); err != nil {
		t.Fatal(err)
	}
	p.Tick(ctx) // the first tick prunes
	p.Wait()
	clock = clock.Add(30 * time.Second)
	p.Tick(ctx)
	p.Wait()
	if _, kept := p.locks[lockKey{nums[1], "MOLLYR"}]; !kept || len(p.locks) != 1 {
		t.Errorf("locks after the first subscription was deleted: %v, want only subscription %d's", p.locks, nums[1])
	}
	// A lock in use is never dropped: a poll that holds it keeps the one lock of its subscription.
	l := p.lock(nums[1], "MOLLYR")
	if _, err := db.SQL().ExecContext(ctx, "DELETE FROM apisubscription WHERE ApiSubscriptionNum = ?", nums[1]); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Minute)
	p.Tick(ctx)
	p.Wait()
	if len(p.locks) != 1 {
		t.Errorf("a lock in use was dropped")
	}
	p.drop(l)
	clock = clock.Add(time.Minute)
	p.Tick(ctx)
	p.Wait()
	if len(p.locks) != 0 {
		t.Errorf("%d locks left once every subscription is gone", len(p.locks))
	}
}
