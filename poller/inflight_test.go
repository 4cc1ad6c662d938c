package poller_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/store/storetest"
	"github.com/odsim/odsim/webhook"
)

// deliveredKeys returns the distinct primary keys (first field) of every element the receiver got.
func deliveredKeys(t *testing.T, rc *receiver, keyField string) map[int64]bool {
	t.Helper()
	seen := map[int64]bool{}
	for _, r := range rc.requests() {
		keys, _ := elements(t, r.Body, keyField, "")
		for _, k := range keys {
			seen[k] = true
		}
	}
	return seen
}

// Issue 17's reproduction: a 3,000-row INSERT that runs for about 3.5 s stamps every row with its
// start, and the rows become visible only when it ends. Polled every quarter of a second meanwhile,
// Open Dental's window (T = NOW()) moves the cursor past them and never sends one; odsim's default
// window ends before the statement, and every row arrives once it has ended.
func TestSlowInsertIsNeverSkipped(t *testing.T) {
	t.Parallel()
	storetest.RequireServer(t) // MariaDB's sequence tables and SLEEP(); the embedded engine runs one statement at a time
	for _, tc := range []struct {
		name      string
		reproduce poller.Failures
		want      int
	}{
		{"default", nil, 3000},
		{"reproduce in-flight-gap", poller.Failures{poller.InFlightGap}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{reproduce: tc.reproduce, realClock: true})
			rc := newReceiver(t, nil)
			num := h.subscribe(rc.URL(), "Appointment", "", 1, "NOW() - INTERVAL 1 HOUR")
			done := make(chan error, 1)
			go func() {
				_, err := h.db.SQL().ExecContext(h.ctx, "INSERT INTO appointment (PatNum, AptStatus, Confirmed, Op, Note, ProvNum, AptDateTime)"+
					" SELECT seq, 1, 19, 1, 'slow', 1, '2026-12-01 08:00:00' FROM seq_1_to_3000 WHERE SLEEP(0.001) = 0")
				done <- err
			}()
			h.waitRunning("INSERT INTO appointment%seq_1_to_3000%")
			started := h.dbNow()
			later := 0 // polls made while the INSERT ran, in a later second than its start
			for running := true; running; {
				if h.dbNow() > started {
					later++
				}
				for _, o := range h.pollNow(num) {
					if o.Err != nil {
						t.Fatalf("poll during the INSERT: %v", o.Err)
					}
				}
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
					running = false
				case <-time.After(250 * time.Millisecond):
				}
			}
			if later == 0 {
				t.Fatal("no poll ran while the INSERT did, after its first second: the test proves nothing")
			}
			h.waitNextSecond(started)
			h.pollNow(num)
			if got := len(deliveredKeys(t, rc, "AptNum")); got != tc.want {
				t.Errorf("%d of the 3000 rows delivered after %d polls during the INSERT, want %d (cursor %s)", got, later, tc.want, h.cursor(num))
			}
		})
	}
}

// An InnoDB transaction that wrote rows and stays open across two polls: its rows carry the second of
// their INSERT, but become visible only at COMMIT. By default every row arrives after the COMMIT;
// Open Dental's window loses them all.
func TestOpenTransactionAcrossTwoPolls(t *testing.T) {
	t.Parallel()
	storetest.RequireServer(t) // InnoDB; the embedded engine holds every other statement while a transaction is open
	for _, tc := range []struct {
		name      string
		reproduce poller.Failures
		want      int
	}{
		{"default", nil, 10},
		{"reproduce in-flight-gap", poller.Failures{poller.InFlightGap}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessConfig{reproduce: tc.reproduce, realClock: true})
			h.exec("ALTER TABLE appointment ENGINE=InnoDB")
			rc := newReceiver(t, nil)
			num := h.subscribe(rc.URL(), "Appointment", "", 1, "NOW() - INTERVAL 1 HOUR")
			conn, err := h.db.SQL().Conn(h.ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var values []string
			for i := 1; i <= 10; i++ {
				values = append(values, fmt.Sprintf("(%d, 1, 1, 19, 1, 'in a transaction', 1, '2026-12-01 08:00:00')", i))
			}
			for _, q := range []string{"BEGIN", "INSERT INTO appointment (AptNum, PatNum, AptStatus, Confirmed, Op, Note, ProvNum, AptDateTime) VALUES " + strings.Join(values, ",")} {
				if _, err := conn.ExecContext(h.ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			mark := h.dbNow()
			for range 2 {
				h.waitNextSecond(mark) // the rows' second has passed: at NOW(), their stamp is before T
				for _, o := range h.pollNow(num) {
					if o.Err != nil {
						t.Fatalf("poll while the transaction is open: %v", o.Err)
					}
				}
				mark = h.dbNow()
			}
			if got := len(deliveredKeys(t, rc, "AptNum")); got != 0 {
				t.Fatalf("%d uncommitted rows delivered", got)
			}
			if _, err := conn.ExecContext(h.ctx, "COMMIT"); err != nil {
				t.Fatal(err)
			}
			h.waitNextSecond(mark)
			h.pollNow(num)
			if got := len(deliveredKeys(t, rc, "AptNum")); got != tc.want {
				t.Errorf("%d of the 10 rows delivered after COMMIT, want %d (cursor %s)", got, tc.want, h.cursor(num))
			}
		})
	}
}

// On the embedded engine a transaction holds every other connection's statements until it ends (its
// gate), so no poll can read a window while it is open, and INNODB_TRX, which the engine has empty,
// is not needed: the rows arrive after COMMIT. If the engine ever let a poll run meanwhile, the poll
// would move the cursor past the uncommitted rows and this test would fail.
func TestEmbeddedTransactionHoldsThePoll(t *testing.T) {
	t.Parallel()
	h := newHarnessOn(t, storetest.NewEmbedded(t), harnessConfig{realClock: true})
	rc := newReceiver(t, nil)
	num := h.subscribe(rc.URL(), "Appointment", "", 1, "NOW() - INTERVAL 1 HOUR")
	conn, err := h.db.SQL().Conn(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range append([]string{"BEGIN"}, appointmentInserts(77, 1, h.dbNow(), func(int) int { return 0 })...) {
		if _, err := conn.ExecContext(h.ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(h.ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := h.p.PollNow(ctx, num); err == nil {
		t.Fatal("a poll ran while another connection's transaction was open")
	}
	if _, err := conn.ExecContext(h.ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	h.waitNextSecond(h.dbNow())
	h.pollNow(num)
	if got := deliveredKeys(t, rc, "AptNum"); !got[77] {
		t.Errorf("appointment 77 not delivered after COMMIT (cursor %s)", h.cursor(num))
	}
}

// lines is an io.Writer that hands each log line to a channel.
type lines chan string

func (l lines) Write(p []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if line != "" {
			l <- line
		}
	}
	return len(p), nil
}

// A database user without the PROCESS privilege sees neither other users' statements nor any open
// transaction: odsim says so once at start, and windows end DefaultUnseenLag (5 s) before NOW().
func TestUnseenWritersFallBackToALag(t *testing.T) {
	t.Parallel()
	storetest.RequireServer(t) // a user without PROCESS
	admin := newHarness(t, harnessConfig{realClock: true})
	var dbName string
	if err := admin.db.SQL().QueryRowContext(admin.ctx, "SELECT DATABASE()").Scan(&dbName); err != nil {
		t.Fatal(err)
	}
	user := "np_" + dbName[len(dbName)-8:]
	admin.exec("CREATE USER '" + user + "'@'%' IDENTIFIED BY 'np'")
	t.Cleanup(func() {
		if _, err := admin.db.SQL().ExecContext(context.Background(), "DROP USER '"+user+"'@'%'"); err != nil {
			t.Errorf("drop user %s: %v", user, err)
		}
	})
	admin.exec("GRANT ALL ON `" + dbName + "`.* TO '" + user + "'@'%'")
	cfg, err := mysql.ParseDSN(storetest.ServerDSN())
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Passwd, cfg.DBName = user, "np", dbName
	db := storetest.Open(t, cfg.FormatDSN())

	_, _, unseen, err := db.Horizon(admin.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(unseen, "PROCESS privilege") {
		t.Fatalf("Horizon says %q is unseen, want it to name the missing PROCESS privilege", unseen)
	}
	log := make(lines, 1000) // unread lines are dropped with it
	p := poller.New(poller.Config{Workstations: []string{"MOLLYR"}, Logger: slog.New(slog.NewTextHandler(log, nil))}, db, webhook.NewSender(webhook.Config{}))
	ctx, cancel := context.WithCancel(admin.ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.Run(ctx)
	}()
	first := <-log
	cancel()
	wg.Wait()
	if !strings.Contains(first, "level=WARN") || !strings.Contains(first, "PROCESS") || !strings.Contains(first, "lag=5s") {
		t.Errorf("first log line = %q, want a warning naming PROCESS and the 5 s lag", first)
	}
	var rest bytes.Buffer
	for drained := false; !drained; {
		select {
		case l := <-log:
			rest.WriteString(l)
		default:
			drained = true
		}
	}
	if strings.Contains(rest.String(), "PROCESS") {
		t.Errorf("the warning was logged more than once:\n%s%s", first, rest.String())
	}

	rc := newReceiver(t, nil)
	admin.insertAppointments(1, 1, func(int) int { return 10 }) // before the lag: sent
	admin.insertAppointments(2, 1, func(int) int { return 1 })  // within it: not yet
	num := admin.subscribe(rc.URL(), "Appointment", "", 1, "NOW() - INTERVAL 1 HOUR")
	out, err := p.PollNow(admin.ctx, num)
	if err != nil {
		t.Fatal(err)
	}
	if got := deliveredKeys(t, rc, "AptNum"); len(got) != 1 || !got[1] {
		t.Errorf("delivered %v, want only appointment 1 (the other changed within the 5 s lag)", got)
	}
	now := admin.dbTime()
	// At least the lag; the upper bound only allows for a slow machine between the poll and this read.
	if lag := now.Sub(out[0].WindowStop); lag < 5*time.Second || lag > 10*time.Second {
		t.Errorf("window ends %v before NOW(), want 5 s (and the time the poll took)", lag)
	}
}
