package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/storetest"
)

// With no write in flight the horizon is NOW() itself, on both engines, and odsim sees every writer:
// MariaDB with root's PROCESS privilege, the embedded engine through its own PROCESSLIST.
func TestHorizonWithoutWritersIsNow(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		before, err := db.Now(ctx)
		if err != nil {
			t.Fatal(err)
		}
		now, oldest, unseen, err := db.Horizon(ctx)
		if err != nil || unseen != "" {
			t.Fatalf("Horizon: %q, %v", unseen, err)
		}
		if !oldest.IsZero() {
			t.Errorf("oldest write in flight = %v, want none", oldest)
		}
		if now.Before(before) || now.Sub(before) > 5*time.Second {
			t.Errorf("horizon's NOW() = %v, NOW() just before = %v", now, before)
		}
	})
}

// running starts q on its own connection, waits (bounded, every 20 ms) until it shows in PROCESSLIST,
// and returns the database clock just before it started, and a channel that gets its error when it
// ends.
func running(t *testing.T, db *sql.DB, q, like string) (time.Time, <-chan error) {
	t.Helper()
	ctx := context.Background()
	var before string
	if err := db.QueryRowContext(ctx, "SELECT NOW(6)").Scan(&before); err != nil {
		t.Fatal(err)
	}
	start, err := time.Parse("2006-01-02 15:04:05.999999", before)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := db.ExecContext(ctx, q)
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND INFO LIKE ? AND ID <> CONNECTION_ID()", like).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return start, done
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q did not start within 10 s", q)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A write statement still running on odsim's database holds the horizon at its start; a query, or a
// write on another database, does not.
func TestHorizonHoldsAtTheOldestWriteInFlight(t *testing.T) {
	t.Parallel()
	storetest.RequireServer(t) // SLEEP() inside running statements
	ctx := context.Background()
	db := storetest.New(t)
	other := storetest.New(t)

	// A long query on odsim's database, and a long write on another one: neither counts.
	_, readDone := running(t, db.SQL(), "SELECT SLEEP(3)", "SELECT SLEEP(3)")
	_, otherDone := running(t, other.SQL(), "INSERT INTO patient (PatNum, LName) SELECT 5, IF(SLEEP(3) = 0, 'Other', 'x')", "INSERT INTO patient (PatNum, LName) SELECT 5,%")
	if _, oldest, _, err := db.Horizon(ctx); err != nil || !oldest.IsZero() {
		t.Errorf("with a query and another database's write running: oldest write = %v, %v; want none", oldest, err)
	}
	// A write on odsim's database does.
	start, writeDone := running(t, db.SQL(), "INSERT INTO patient (PatNum, LName) SELECT 7, IF(SLEEP(2) = 0, 'Slow', 'x')", "INSERT INTO patient (PatNum, LName) SELECT 7,%")
	now, oldest, _, err := db.Horizon(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The INSERT began after start and before it was seen running, which was before now.
	if oldest.IsZero() || oldest.Before(start.Add(-50*time.Millisecond)) || !oldest.Before(now) {
		t.Errorf("oldest write in flight = %v, want between %v (before the INSERT was sent) and %v", oldest, start, now)
	}
	for _, ch := range []<-chan error{readDone, otherDone, writeDone} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	// Its row carries the second it began: a window ending at the horizon's second leaves it out.
	var stamp string
	if err := db.SQL().QueryRowContext(ctx, "SELECT DateTStamp FROM patient WHERE PatNum = 7").Scan(&stamp); err != nil {
		t.Fatal(err)
	}
	if oldest.Truncate(time.Second).Format(time.DateTime) > stamp {
		t.Errorf("the horizon %v is past the second the INSERT stamped, %s", oldest, stamp)
	}
	if _, oldest, _, err := db.Horizon(ctx); err != nil || !oldest.IsZero() {
		t.Errorf("after the statements ended: oldest write = %v, %v; want none", oldest, err)
	}
}

// An InnoDB transaction that wrote rows holds the horizon before their second until it ends, even
// while it runs nothing; one that only read does not.
func TestHorizonHoldsForAnOpenWriteTransaction(t *testing.T) {
	t.Parallel()
	storetest.RequireServer(t) // InnoDB
	ctx := context.Background()
	db := storetest.New(t)
	if _, err := db.SQL().ExecContext(ctx, "ALTER TABLE patient ENGINE=InnoDB"); err != nil {
		t.Fatal(err)
	}
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	exec("START TRANSACTION WITH CONSISTENT SNAPSHOT")
	exec("SELECT COUNT(*) FROM patient")
	if _, oldest, _, err := db.Horizon(ctx); err != nil || !oldest.IsZero() {
		t.Errorf("with a transaction that only read: oldest write = %v, %v; want none", oldest, err)
	}
	exec("INSERT INTO patient (PatNum, LName) VALUES (9, 'Open')")
	var stamp string // the second its row carries; the transaction sees its own row
	if err := conn.QueryRowContext(ctx, "SELECT DateTStamp FROM patient WHERE PatNum = 9").Scan(&stamp); err != nil {
		t.Fatal(err)
	}
	_, oldest, _, err := db.Horizon(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stamped, _ := time.Parse(time.DateTime, stamp)
	// A window ending at the horizon's second leaves the row out, and is held back a few seconds at most.
	if oldest.IsZero() || oldest.Truncate(time.Second).After(stamped) || oldest.Before(stamped.Add(-3*time.Second)) {
		t.Errorf("with a transaction that wrote a row stamped %s: oldest write = %v, want at or before that second, within 3 s", stamp, oldest)
	}
	exec("COMMIT")
	if _, oldest, _, err := db.Horizon(ctx); err != nil || !oldest.IsZero() {
		t.Errorf("after COMMIT: oldest write = %v, %v; want none", oldest, err)
	}
}

// INNODB_TRX is answered from a cache refreshed at most every 100 ms. Another program reading it all
// the time (here every 20 ms) keeps that cache a little stale; a horizon read right after a
// transaction began must still see it.
func TestHorizonSeesATransactionBegunJustAfterTheLastRead(t *testing.T) {
	t.Parallel()
	storetest.RequireServer(t) // InnoDB
	ctx := context.Background()
	db := storetest.New(t)
	if _, err := db.SQL().ExecContext(ctx, "ALTER TABLE patient ENGINE=InnoDB"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			var n int
			_ = db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.INNODB_TRX").Scan(&n)
		}
	}()
	defer func() { close(stop); <-stopped }()
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := range 5 {
		if _, _, _, err := db.Horizon(ctx); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"BEGIN", fmt.Sprintf("INSERT INTO patient (PatNum, LName) VALUES (%d, 'Quick')", i+1)} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		_, oldest, _, err := db.Horizon(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if oldest.IsZero() {
			t.Errorf("read %d: a transaction begun right after the previous read was missed", i+1)
		}
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkHorizon measures one read of the window horizon (NOW(6) with PROCESSLIST, then InnoDB's
// status) against reading NOW() alone, which is what a poll read before the horizon existed; on an
// idle database of the test server. Compare the two within one run.
func BenchmarkHorizon(b *testing.B) {
	storetest.RequireServer(b)
	ctx := context.Background()
	db := storetest.New(b)
	b.Run("now", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Now(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("horizon", func(b *testing.B) {
		for b.Loop() {
			if _, _, _, err := db.Horizon(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
