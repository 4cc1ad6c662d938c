package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/subscriptions"
)

// The store must satisfy the Subscriptions API's Store.
var _ subscriptions.Store = (*store.DB)(nil)

// engines runs test on both engines, since odsim serves the API from either.
func engines(t *testing.T, test func(t *testing.T, db *store.DB)) { storetest.Engines(t, test) }

func date(s string) time.Time {
	t, err := subscriptions.ParseDateTime(s)
	if err != nil {
		panic(err)
	}
	return t
}

func dbSub(key, endpoint string) subscriptions.Subscription {
	return subscriptions.Subscription{
		EndPointURL:    endpoint,
		Workstation:    "MOLLYR",
		CustomerKey:    key,
		WatchTable:     subscriptions.Appointment,
		PollingSeconds: 5,
		DateTimeStart:  date("2022-01-31"),
		DateTimeStop:   subscriptions.MinDateTime,
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := subscriptions.ErrorCode(err); err == nil || got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

func TestSubscriptionCRUD(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in := dbSub("KeyA", "https://myserver/apievents/")
		in.Note = "first <&> \"note\""
		created, err := db.CreateSubscription(ctx, in)
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		want := in
		want.Num = created.Num
		if created != want {
			t.Fatalf("created = %+v, want %+v", created, want)
		}
		ui, err := db.CreateSubscription(ctx, subscriptions.Subscription{
			EndPointURL: "http://localhost:2097/", CustomerKey: "KeyA", UiEventType: subscriptions.PatientSelected,
			DateTimeStart: date("2023-05-06 07:08:09"), DateTimeStop: date("2030-01-01"),
		})
		if err != nil {
			t.Fatalf("create UI: %v", err)
		}
		if ui.Num <= created.Num || ui.WatchTable != "" || ui.PollingSeconds != 0 || !ui.DateTimeStop.Equal(date("2030-01-01")) {
			t.Fatalf("created UI = %+v", ui)
		}
		other, err := db.CreateSubscription(ctx, dbSub("KeyB", "https://other/"))
		if err != nil {
			t.Fatalf("create for KeyB: %v", err)
		}

		if num, found, err := db.FindDuplicateSubscription(ctx, in); err != nil || !found || num != created.Num {
			t.Fatalf("FindDuplicateSubscription(created) = %d, %v, %v; want %d", num, found, err, created.Num)
		}
		now, err := db.Now(ctx)
		if err != nil {
			t.Fatalf("now: %v", err)
		}
		nowStart := dbSub("KeyC", "https://now/")
		nowStart.DateTimeStart = time.Time{}
		c, err := db.CreateSubscription(ctx, nowStart)
		if err != nil {
			t.Fatalf("create with default start: %v", err)
		}
		if d := c.DateTimeStart.Sub(now); d < 0 || d > 2*time.Second {
			t.Fatalf("default DateTimeStart = %v, want the database's NOW() %v", c.DateTimeStart, now)
		}

		list, err := db.ListSubscriptions(ctx, "KeyA")
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if len(list) != 2 || list[0] != created || list[1] != ui {
			t.Fatalf("list KeyA = %+v, want [%+v %+v]", list, created, ui)
		}
		all, err := db.AllSubscriptions(ctx)
		if err != nil {
			t.Fatalf("all: %v", err)
		}
		if len(all) != 4 || all[0] != created || all[1] != ui || all[2] != other || all[3] != c {
			t.Fatalf("all = %+v", all)
		}

		polling, note := 30, "Decreased polling rate."
		got, err := db.UpdateSubscription(ctx, "KeyA", created.Num, subscriptions.Update{PollingSeconds: &polling, Note: &note})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		want = created
		want.PollingSeconds, want.Note = 30, note
		if got != want {
			t.Fatalf("updated = %+v, want %+v", got, want)
		}
		endpoint, ws, stop, start := "https://myserver2/apievents/", "BETTYC", date("2022-12-31"), date("2022-02-01 10:11:12")
		got, err = db.UpdateSubscription(ctx, "KeyA", created.Num, subscriptions.Update{
			EndPointURL: &endpoint, Workstation: &ws, DateTimeStop: &stop, DateTimeStart: &start,
		})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		want.EndPointURL, want.Workstation, want.DateTimeStop, want.DateTimeStart = endpoint, ws, stop, start
		if got != want {
			t.Fatalf("updated = %+v, want %+v", got, want)
		}
		// An update that changes nothing is not "not found", although MySQL reports 0 rows changed.
		if got, err = db.UpdateSubscription(ctx, "KeyA", created.Num, subscriptions.Update{Note: &note}); err != nil || got != want {
			t.Fatalf("no-op update = %+v, %v", got, err)
		}
		if got, err = db.UpdateSubscription(ctx, "KeyA", created.Num, subscriptions.Update{}); err != nil || got != want {
			t.Fatalf("empty update = %+v, %v", got, err)
		}

		if err := db.DeleteSubscription(ctx, "KeyA", created.Num); err != nil {
			t.Fatalf("delete: %v", err)
		}
		_, err = db.GetSubscription(ctx, "KeyA", created.Num)
		wantCode(t, err, subscriptions.NotFound)
		wantCode(t, db.DeleteSubscription(ctx, "KeyA", created.Num), subscriptions.NotFound)
		if list, err = db.ListSubscriptions(ctx, "NoSuchKey"); err != nil || len(list) != 0 {
			t.Fatalf("list of a key without subscriptions = %v, %v", list, err)
		}
	})
}

// Customer keys are tenants: another key's subscription, even one whose key differs only in letter
// case (the column's collation ignores case), is not found by any method and is left unchanged.
func TestSubscriptionTenancy(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b, err := db.CreateSubscription(ctx, dbSub("KeyB", "https://b/"))
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		for _, key := range []string{"KeyA", "keyb", "KEYB"} {
			_, err := db.GetSubscription(ctx, key, b.Num)
			wantCode(t, err, subscriptions.NotFound)
			note := "changed by " + key
			_, err = db.UpdateSubscription(ctx, key, b.Num, subscriptions.Update{Note: &note})
			wantCode(t, err, subscriptions.NotFound)
			wantCode(t, db.DeleteSubscription(ctx, key, b.Num), subscriptions.NotFound)
			list, err := db.ListSubscriptions(ctx, key)
			if err != nil || len(list) != 0 {
				t.Fatalf("list %s = %+v, %v", key, list, err)
			}
			dup := dbSub(key, b.EndPointURL)
			if _, found, err := db.FindDuplicateSubscription(ctx, dup); err != nil || found {
				t.Fatalf("duplicate of another key's subscription for %s: found=%v err=%v", key, found, err)
			}
		}
		if got, err := db.GetSubscription(ctx, "KeyB", b.Num); err != nil || got != b {
			t.Fatalf("KeyB's subscription after other keys' attempts = %+v, %v; want %+v", got, err, b)
		}
	})
}

// pinnedDB opens a second store on db's database whose every session has NOW() pinned to now, through
// the DSN's session variable timestamp, so the tests can show the database clock decides.
func pinnedDB(t *testing.T, dsn string, now time.Time) *store.DB {
	t.Helper()
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return storetest.Open(t, dsn+sep+"timestamp="+strconv.FormatInt(now.Unix(), 10))
}

func TestCreateSubscriptionDefaultStartIsDatabaseNow(t *testing.T) {
	t.Parallel()
	dsn := storetest.NewDSN(t)
	pinned := time.Date(2022, 3, 4, 5, 6, 7, 0, time.UTC)
	db := pinnedDB(t, dsn, pinned)
	ctx := context.Background()
	now, err := db.Now(ctx)
	if err != nil {
		t.Fatalf("now: %v", err)
	}
	if !now.Equal(pinned) {
		t.Fatalf("database NOW() = %v, want the pinned %v (the DSN's timestamp was not applied)", now, pinned)
	}
	s := dbSub("KeyA", "https://myserver/apievents/")
	s.DateTimeStart = time.Time{}
	created, err := db.CreateSubscription(ctx, s)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if !created.DateTimeStart.Equal(pinned) {
		t.Fatalf("DateTimeStart = %v, want the database's NOW() %v, not the host clock", created.DateTimeStart, pinned)
	}
}

// FindDuplicateSubscription is Open Dental's IsExistingSubscription, judged by the database's date.
func TestFindDuplicateSubscription(t *testing.T) {
	t.Parallel()
	dsn := storetest.NewDSN(t)
	db := pinnedDB(t, dsn, time.Date(2022, 6, 15, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	create := func(s subscriptions.Subscription) int64 {
		t.Helper()
		c, err := db.CreateSubscription(ctx, s)
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		return c.Num
	}
	live := create(dbSub("KeyA", "https://live/"))
	expiresToday := dbSub("KeyA", "https://today/")
	expiresToday.DateTimeStop = date("2022-06-15") // DATE(NOW()) <= stop: still live
	today := create(expiresToday)
	expired := dbSub("KeyA", "https://expired/")
	expired.DateTimeStop = date("2022-06-14 23:59:59")
	create(expired)
	ui := create(subscriptions.Subscription{EndPointURL: "http://localhost:2097/", CustomerKey: "KeyA",
		UiEventType: subscriptions.PatientSelected, DateTimeStop: subscriptions.MinDateTime})

	tests := []struct {
		name  string
		s     subscriptions.Subscription
		found bool
		num   int64
	}{
		{"same", dbSub("KeyA", "https://live/"), true, live},
		{"stop later today still counts", dbSub("KeyA", "https://today/"), true, today},
		{"expired yesterday", dbSub("KeyA", "https://expired/"), false, 0},
		{"other key", dbSub("KeyB", "https://live/"), false, 0},
		{"other workstation", func() subscriptions.Subscription {
			s := dbSub("KeyA", "https://live/")
			s.Workstation = "BETTYC"
			return s
		}(), false, 0},
		{"other watch table", func() subscriptions.Subscription {
			s := dbSub("KeyA", "https://live/")
			s.WatchTable = subscriptions.Patient
			return s
		}(), false, 0},
		{"polling, start, stop and note do not matter", func() subscriptions.Subscription {
			s := dbSub("KeyA", "https://live/")
			s.PollingSeconds, s.Note, s.DateTimeStart, s.DateTimeStop = 60, "x", date("2024-01-01"), date("2030-01-01")
			return s
		}(), true, live},
		{"UI", subscriptions.Subscription{EndPointURL: "http://localhost:2097/", CustomerKey: "KeyA",
			UiEventType: subscriptions.PatientSelected}, true, ui},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			num, found, err := db.FindDuplicateSubscription(ctx, tt.s)
			if err != nil || found != tt.found || num != tt.num {
				t.Fatalf("FindDuplicateSubscription = %d, %v, %v; want %d, %v", num, found, err, tt.num, tt.found)
			}
		})
	}
}

func TestSubscriptionStoreErrorsAreInternal(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	db.Close()
	_, err := db.ListSubscriptions(context.Background(), "KeyA")
	if err == nil || subscriptions.ErrorCode(err) != subscriptions.Internal || !strings.HasPrefix(err.Error(), "list subscriptions: ") {
		t.Fatalf("list on a closed database = %v, want a wrapped internal error", err)
	}
}

// CreateSubscriptionUnlessExists checks for a duplicate and inserts in one statement: 50 identical
// calls at once create one subscription on either engine, and on MariaDB whether apisubscription is
// MyISAM (Open Dental's schema) or InnoDB (as a user's own database may have it).
func TestCreateSubscriptionUnlessExistsIsAtomic(t *testing.T) {
	race := func(t *testing.T, db *store.DB) {
		t.Helper()
		ctx := context.Background()
		const n = 50
		s := dbSub("KeyA", "https://myserver/apievents/")
		type result struct {
			num      int64
			existing bool
			err      error
		}
		results := make(chan result, n)
		start := make(chan struct{})
		for range n {
			go func() {
				<-start
				sub, existing, err := db.CreateSubscriptionUnlessExists(ctx, s)
				results <- result{sub.Num, existing, err}
			}()
		}
		close(start)
		created, nums := 0, map[int64]bool{}
		for range n {
			r := <-results
			if r.err != nil {
				t.Fatalf("create: %v", r.err)
			}
			if !r.existing {
				created++
			}
			nums[r.num] = true
		}
		list, err := db.ListSubscriptions(ctx, "KeyA")
		if err != nil {
			t.Fatal(err)
		}
		if created != 1 || len(nums) != 1 || len(list) != 1 {
			t.Errorf("%d calls at once: %d created, numbers %v, %d rows; want one", n, created, nums, len(list))
		}
	}
	engines(t, race)
	t.Run("innodb", func(t *testing.T) {
		t.Parallel()
		storetest.RequireServer(t)
		db := storetest.New(t)
		if _, err := db.SQL().Exec("ALTER TABLE apisubscription ENGINE=InnoDB"); err != nil {
			t.Fatal(err)
		}
		race(t, db)
	})
}

// EndPointUrls are compared byte for byte: a path in another letter case is another endpoint, though
// the column's collation would call the two equal.
func TestDuplicateComparesURLsByteForByte(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, existing, err := db.CreateSubscriptionUnlessExists(ctx, dbSub("KeyA", "https://myserver/a"))
		if err != nil || existing {
			t.Fatalf("create /a: %v, existing %v", err, existing)
		}
		b, existing, err := db.CreateSubscriptionUnlessExists(ctx, dbSub("KeyA", "https://myserver/A"))
		if err != nil || existing || b.Num == a.Num {
			t.Fatalf("create /A: %+v, existing %v, %v; want a new subscription", b, existing, err)
		}
		again, existing, err := db.CreateSubscriptionUnlessExists(ctx, dbSub("KeyA", "https://myserver/A"))
		if err != nil || !existing || again != b {
			t.Fatalf("create /A again: %+v, existing %v, %v; want %+v", again, existing, err, b)
		}
		if _, found, _ := db.FindDuplicateSubscription(ctx, dbSub("KeyA", "HTTPS://MYSERVER/A")); found {
			t.Error("a URL in other letter case was found as a duplicate")
		}
	})
}
