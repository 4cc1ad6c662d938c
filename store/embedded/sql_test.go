package embedded_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/odsim/odsim/store/embedded"
	"github.com/odsim/odsim/store/storetest"
)

// aptColumns are the appointment columns the tests' INSERTs name: those without a default, as Open Dental's
// own full-row INSERTs give them.
const aptColumns = "AptNum, PatNum, AptStatus, Pattern, Confirmed, TimeLocked, Op, Note, ProvNum, ProvHyg, AptDateTime," +
	" NextAptNum, UnschedStatus, IsNewPatient, ProcDescript, Assistant, ClinicNum, IsHygiene, DateTimeArrived," +
	" DateTimeSeated, DateTimeDismissed, InsPlan1, InsPlan2, ProcsColored, ColorOverride, AppointmentTypeNum," +
	" SecUserNumEntry, Priority, ProvBarText, PatternSecondary, SecurityHash, ItemOrderPlanned"

// insertAppointment adds appointment apt with the given confirmation DefNum and note; the database stamps
// DateTStamp. The zero and 0001 dates are what Open Dental writes for "not set".
func insertAppointment(t *testing.T, q interface {
	Exec(string, ...any) (sql.Result, error)
}, apt, confirmed int, note any) {
	t.Helper()
	_, err := q.Exec("INSERT INTO appointment ("+aptColumns+") VALUES (?, 1, 1, '//XX//', ?, 0, 1, ?, 1, 0,"+
		" '2026-12-01 09:00:00', 0, 0, 0, '', 0, 0, 0, '0001-01-01 00:00:00', '0001-01-01', '0000-00-00 00:00:00',"+
		" 0, 0, '', 0, 0, 0, 0, '', '', '', 0)", apt, confirmed, note)
	if err != nil {
		t.Fatalf("insert appointment %d: %v", apt, err)
	}
}

func TestSchemaApplies(t *testing.T) {
	t.Parallel()
	_, db := withSchema(t)
	var tables int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 18 {
		t.Errorf("%d tables, want the schema's 18", tables)
	}
	var name string
	if err := db.QueryRow("SELECT ItemName FROM definition WHERE DefNum = 19 AND Category = 2").Scan(&name); err != nil || name != "Not Called" {
		t.Errorf("definition 19 = %q, %v; want the seeded Not Called", name, err)
	}
	var create string
	if err := db.QueryRow("SHOW CREATE TABLE patient").Scan(&name, &create); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CHARSET=utf8mb3", "PRIMARY KEY (`PatNum`)", "`SchedBeforeTime` time"} {
		if !strings.Contains(create, want) {
			t.Errorf("SHOW CREATE TABLE patient lacks %q:\n%s", want, create)
		}
	}
	// Plain secondary keys are not built (see withoutSecondaryIndexes); the prefix keys were accepted.
	if strings.Contains(create, "indexLName") {
		t.Errorf("patient kept its secondary index indexLName:\n%s", create)
	}
}

func TestSQLModeIsEmpty(t *testing.T) {
	t.Parallel()
	srv := start(t, embedded.Config{})
	// A client that sets nothing gets Open Dental's empty sql_mode, not go-mysql-server's strict default.
	plain, err := sql.Open("mysql", srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() })
	var mode string
	if err := plain.QueryRow("SELECT @@SESSION.sql_mode").Scan(&mode); err != nil || mode != "" {
		t.Errorf("sql_mode of a client that sets none = %q, %v; want empty", mode, err)
	}

	db := open(t, srv.DSN(), true) // sets sql_mode='' through the DSN
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.QueryRowContext(context.Background(), "SELECT @@SESSION.sql_mode").Scan(&mode); err != nil || mode != "" {
		t.Errorf("sql_mode from the DSN = %q, %v; want empty", mode, err)
	}
	for _, q := range []string{"SET SESSION sql_mode = 'STRICT_TRANS_TABLES'", "SET SESSION sql_mode = ''"} {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := conn.QueryRowContext(context.Background(), "SELECT @@SESSION.sql_mode").Scan(&mode); err != nil || mode != "" {
		t.Errorf("sql_mode after SET SESSION sql_mode='' = %q, %v; want empty", mode, err)
	}
}

// TestOnUpdateTimestampMatchesMariaDB runs one sequence of writes on the embedded engine and on MariaDB
// and checks that appointment.DateTStamp moves only when a row really changes, on both.
func TestOnUpdateTimestampMatchesMariaDB(t *testing.T) {
	t.Parallel()
	steps := []struct {
		name     string
		now      string // the pinned NOW()
		sql      string
		args     []any
		affected int64
		stamp    string // DateTStamp of appointment 1 afterwards
	}{
		{"insert stamps NOW()", "10:00:00", "", nil, 1, "10:00:00"},
		{"same value", "10:00:01", "UPDATE appointment SET AptStatus = 1 WHERE AptNum = 1", nil, 0, "10:00:00"},
		{"same values, bound", "10:00:02", "UPDATE appointment SET AptStatus = ?, Note = ?, Confirmed = ? WHERE AptNum = ?", []any{1, "n", 19, 1}, 0, "10:00:00"},
		{"same datetime as text", "10:00:03", "UPDATE appointment SET AptDateTime = ? WHERE AptNum = 1", []any{"2026-12-01 09:00:00"}, 0, "10:00:00"},
		{"changed value", "10:00:04", "UPDATE appointment SET AptStatus = 2 WHERE AptNum = 1", nil, 1, "10:00:04"},
		{"changed by expression", "10:00:05", "UPDATE appointment SET AptStatus = AptStatus + 1 WHERE AptNum = 1", nil, 1, "10:00:05"},
		{"explicit touch", "10:00:06", "UPDATE appointment SET DateTStamp = NOW() WHERE AptNum = 1", nil, 1, "10:00:06"},
		{"change that keeps the stamp", "10:00:07", "UPDATE appointment SET AptStatus = 5, DateTStamp = DateTStamp WHERE AptNum = 1", nil, 1, "10:00:06"},
		{"text to NULL", "10:00:08", "UPDATE appointment SET Note = NULL WHERE AptNum = 1", nil, 1, "10:00:08"},
		{"NULL to NULL", "10:00:09", "UPDATE appointment SET Note = NULL WHERE AptNum = 1", nil, 0, "10:00:08"},
		{"lower case", "10:00:10", "UPDATE appointment SET ProcDescript = 'abc' WHERE AptNum = 1", nil, 1, "10:00:10"},
		{"case-only change", "10:00:11", "UPDATE appointment SET ProcDescript = 'ABC' WHERE AptNum = 1", nil, 1, "10:00:11"},
		{"value from a subquery", "10:00:12", "UPDATE appointment SET Note = (SELECT ItemName FROM definition WHERE DefNum = 19) WHERE AptNum = 1", nil, 1, "10:00:12"},
		{"same value from a subquery", "10:00:13", "UPDATE appointment SET Note = (SELECT ItemName FROM definition WHERE DefNum = 19) WHERE AptNum = 1", nil, 0, "10:00:12"},
		{"other row changed", "10:00:14", "UPDATE appointment SET AptStatus = 2 WHERE AptNum = 2", nil, 1, "10:00:12"},
	}
	run := func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		conn, err := db.Conn(ctx) // SET timestamp is per session
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, st := range steps {
			if _, err := conn.ExecContext(ctx, "SET timestamp = UNIX_TIMESTAMP(?)", "2025-01-01 "+st.now); err != nil {
				t.Fatalf("%s: pin clock: %v", st.name, err)
			}
			var affected int64 = 1
			if st.sql == "" {
				insertAppointment(t, execer{ctx, conn}, 1, 19, "n")
				insertAppointment(t, execer{ctx, conn}, 2, 19, "n")
			} else {
				res, err := conn.ExecContext(ctx, st.sql, st.args...)
				if err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				affected, _ = res.RowsAffected()
			}
			var stamp string
			if err := conn.QueryRowContext(ctx, "SELECT DateTStamp FROM appointment WHERE AptNum = 1").Scan(&stamp); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if affected != st.affected || stamp != "2025-01-01 "+st.stamp {
				t.Errorf("%s: rows affected %d, DateTStamp %s; want %d, 2025-01-01 %s", st.name, affected, stamp, st.affected, st.stamp)
			}
		}
	}
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		_, db := withSchema(t)
		run(t, db)
	})
	t.Run("mariadb", func(t *testing.T) {
		t.Parallel()
		storetest.RequireServer(t)
		run(t, open(t, storetest.NewDSN(t), true))
	})
}

// execer adapts a pinned connection to insertAppointment.
type execer struct {
	ctx  context.Context
	conn *sql.Conn
}

func (e execer) Exec(q string, args ...any) (sql.Result, error) {
	return e.conn.ExecContext(e.ctx, q, args...)
}

func TestSetTimestampPinsNow(t *testing.T) {
	t.Parallel()
	srv := start(t, embedded.Config{})
	ctx := context.Background()
	conn, err := open(t, srv.DSN(), true).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var now, later string
	steps := []struct{ sql, want string }{
		{"SET timestamp = UNIX_TIMESTAMP('2025-06-30 23:59:59')", "2025-06-30 23:59:59"},
		{"SET timestamp = UNIX_TIMESTAMP('2025-01-01 10:00:00')", "2025-01-01 10:00:00"},
	}
	for _, st := range steps {
		if _, err := conn.ExecContext(ctx, st.sql); err != nil {
			t.Fatalf("%s: %v", st.sql, err)
		}
		if err := conn.QueryRowContext(ctx, "SELECT NOW(), DATE_ADD(NOW(), INTERVAL 90 SECOND)").Scan(&now, &later); err != nil {
			t.Fatal(err)
		}
		if want, _ := time.Parse(time.DateTime, st.want); now != st.want || later != want.Add(90*time.Second).Format(time.DateTime) {
			t.Errorf("after %s: NOW() = %s, +90 s = %s; want %s", st.sql, now, later, st.want)
		}
	}
	if _, err := conn.ExecContext(ctx, "SET timestamp = DEFAULT"); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT NOW()").Scan(&now); err != nil {
		t.Fatal(err)
	}
	if got, err := time.Parse(time.DateTime, now); err != nil || got.Year() < 2026 {
		t.Errorf("NOW() after SET timestamp = DEFAULT is %s, want the real clock", now)
	}
}

// TestWindowQuery runs the poller's kind of query — a LEFT JOIN on definition, a DateTStamp window,
// ORDER BY and LIMIT with bound parameters — and checks rows and the text form of every value, with
// client-side interpolation (odsim's setting) and with server-side prepared statements.
func TestWindowQuery(t *testing.T) {
	t.Parallel()
	for _, interpolate := range []bool{true, false} {
		t.Run(fmt.Sprintf("interpolateParams=%v", interpolate), func(t *testing.T) {
			t.Parallel()
			srv, setup := withSchema(t)
			ctx := context.Background()
			conn, err := setup.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, a := range []struct {
				apt, confirmed int
				note           any
				now            string
			}{
				{1, 19, "first", "2025-01-01 10:00:00"},
				{2, 21, nil, "2025-01-01 10:00:05"},
				{3, 999, "no such definition", "2025-01-01 10:00:05"},
				{4, 19, "after the window", "2025-01-01 10:00:10"},
			} {
				if _, err := conn.ExecContext(ctx, "SET timestamp = UNIX_TIMESTAMP(?)", a.now); err != nil {
					t.Fatal(err)
				}
				insertAppointment(t, execer{ctx, conn}, a.apt, a.confirmed, a.note)
			}

			db := open(t, srv.DSN(), interpolate)
			const q = "SELECT a.AptNum, a.AptDateTime, a.DateTStamp, a.DateTimeArrived, a.DateTimeSeated, a.DateTimeDismissed," +
				" a.Confirmed, COALESCE(dc.ItemName, ''), IFNULL(a.Note, '')" +
				" FROM appointment a LEFT JOIN definition dc ON dc.DefNum = a.Confirmed AND dc.Category = 2" +
				" WHERE a.DateTStamp >= ? AND a.DateTStamp < DATE_ADD(?, INTERVAL 10 SECOND)" +
				" ORDER BY a.DateTStamp, a.AptNum LIMIT ?, ?"
			pages := []struct {
				offset, limit int
				want          []string
			}{
				{0, 2, []string{
					"1|2026-12-01 09:00:00|2025-01-01 10:00:00|0001-01-01 00:00:00|0001-01-01 00:00:00|0000-00-00 00:00:00|19|Not Called|first",
					"2|2026-12-01 09:00:00|2025-01-01 10:00:05|0001-01-01 00:00:00|0001-01-01 00:00:00|0000-00-00 00:00:00|21|Appointment Confirmed|",
				}},
				{2, 2, []string{
					"3|2026-12-01 09:00:00|2025-01-01 10:00:05|0001-01-01 00:00:00|0001-01-01 00:00:00|0000-00-00 00:00:00|999||no such definition",
				}},
			}
			for _, p := range pages {
				got := queryRows(t, db, q, "2025-01-01 10:00:00", "2025-01-01 10:00:00", p.offset, p.limit)
				if strings.Join(got, "\n") != strings.Join(p.want, "\n") {
					t.Errorf("page %d,%d:\n%s\nwant\n%s", p.offset, p.limit, strings.Join(got, "\n"), strings.Join(p.want, "\n"))
				}
			}
		})
	}
}

// TestScheduleQuery checks TIME and DATE text, the correlated GROUP_CONCAT subquery that lists a
// schedule's operatories, and NOW() next to a pinned clock, in both protocols.
func TestScheduleQuery(t *testing.T) {
	t.Parallel()
	srv, setup := withSchema(t)
	for _, q := range []string{
		"INSERT INTO schedule (ScheduleNum, SchedDate, StartTime, StopTime, SchedType, ProvNum, BlockoutType, Note, EmployeeNum, ClinicNum)" +
			" VALUES (1, '2026-12-01', '08:00:00', '17:30', 1, 1, 0, NULL, 0, 1), (2, '2026-12-02', '13:00:00', '14:00:00', 2, 0, 1000, 'lunch', 0, 1)",
		"INSERT INTO scheduleop (ScheduleOpNum, ScheduleNum, OperatoryNum) VALUES (3, 2, 7), (1, 2, 5), (2, 2, 6)",
	} {
		if _, err := setup.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const q = "SELECT s.ScheduleNum, s.SchedDate, s.StartTime, s.StopTime, IFNULL(s.Note, ''), COALESCE((SELECT" +
		" GROUP_CONCAT(OperatoryNum ORDER BY ScheduleOpNum SEPARATOR ',') FROM scheduleop so WHERE so.ScheduleNum = s.ScheduleNum), '')" +
		" FROM schedule s WHERE s.ScheduleNum >= ? ORDER BY s.ScheduleNum"
	want := "1|2026-12-01|08:00:00|17:30:00||\n2|2026-12-02|13:00:00|14:00:00|lunch|5,6,7"
	for _, interpolate := range []bool{true, false} {
		got := strings.Join(queryRows(t, open(t, srv.DSN(), interpolate), q, 1), "\n")
		if got != want {
			t.Errorf("interpolateParams=%v:\n%s\nwant\n%s", interpolate, got, want)
		}
	}
}

func TestInsertKeysAndLastInsertID(t *testing.T) {
	t.Parallel()
	_, db := withSchema(t)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	steps := []struct {
		sql      string
		resultID int64 // the OK packet's insert id, sql.Result.LastInsertId
		lastID   int64 // SELECT LAST_INSERT_ID(), which explicit keys leave alone
	}{
		{"INSERT INTO definition (Category, ItemName) VALUES (25, 'generated')", 1000, 1000},
		{"INSERT INTO definition (DefNum, Category, ItemName) VALUES (5000, 25, 'explicit')", 5000, 1000},
		{"INSERT INTO definition (Category, ItemName) VALUES (25, 'after explicit')", 5001, 5001},
		{"INSERT INTO definition (Category, ItemName) VALUES (25, 'a'), (25, 'b')", 5002, 5002},
	}
	// The seed's highest DefNum decides the first generated key.
	var maxSeed int64
	if err := conn.QueryRowContext(ctx, "SELECT MAX(DefNum) FROM definition").Scan(&maxSeed); err != nil {
		t.Fatal(err)
	}
	steps[0].resultID, steps[0].lastID = maxSeed+1, maxSeed+1
	steps[1].lastID = maxSeed + 1
	for _, st := range steps {
		res, err := conn.ExecContext(ctx, st.sql)
		if err != nil {
			t.Fatalf("%s: %v", st.sql, err)
		}
		id, _ := res.LastInsertId()
		var last int64
		if err := conn.QueryRowContext(ctx, "SELECT LAST_INSERT_ID()").Scan(&last); err != nil {
			t.Fatal(err)
		}
		if id != st.resultID || last != st.lastID {
			t.Errorf("%s: LastInsertId %d, LAST_INSERT_ID() %d; want %d, %d", st.sql, id, last, st.resultID, st.lastID)
		}
	}
	_, err = conn.ExecContext(ctx, "INSERT INTO definition (DefNum, Category, ItemName) VALUES (19, 2, 'duplicate')")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1062 {
		t.Errorf("duplicate key: err = %v, want MySQL error 1062", err)
	}
}

// TestConcurrentWritersLoseNothing writes one table from several connections at once; without the gate
// the engine kept only about three quarters of the rows.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	t.Parallel()
	_, db := withSchema(t)
	db.SetMaxOpenConns(6)
	const workers, each = 6, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n := 10000 + w*each + i
				if _, err := db.Exec("INSERT INTO definition (DefNum, Category, ItemName, ItemOrder) VALUES (?, 25, 'c', 0)", n); err != nil {
					errs <- err
				}
				if _, err := db.Exec("UPDATE definition SET ItemOrder = ItemOrder + 1 WHERE DefNum = ?", n); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var rows, sum int
	if err := db.QueryRow("SELECT COUNT(*), SUM(ItemOrder) FROM definition WHERE Category = 25 AND ItemName = 'c'").Scan(&rows, &sum); err != nil {
		t.Fatal(err)
	}
	if rows != workers*each || sum != workers*each {
		t.Errorf("%d rows, ItemOrder sum %d; want %d and %d", rows, sum, workers*each, workers*each)
	}
}

// TestTransactions checks rollback, and that a transaction holds the engine until it ends: another
// connection's write waits for the COMMIT instead of being undone by it, and gives up with MySQL's lock
// wait timeout when the transaction stays open.
func TestTransactions(t *testing.T) {
	t.Parallel()
	srv := start(t, embedded.Config{LockWait: time.Second})
	db := open(t, srv.DSN(), true)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE t (id bigint NOT NULL, v int NOT NULL, PRIMARY KEY (id)) ENGINE=MyISAM",
		"INSERT INTO t VALUES (1, 0), (2, 0)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	value := func(id int) int {
		t.Helper()
		var v int
		if err := db.QueryRow("SELECT v FROM t WHERE id = ?", id).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("UPDATE t SET v = 9 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if v := value(1); v != 0 {
		t.Errorf("after ROLLBACK v = %d, want 0", v)
	}

	tx, err = db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("UPDATE t SET v = 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec("UPDATE t SET v = 2 WHERE id = 2")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1205 {
		t.Errorf("write while another transaction is open: err = %v, want MySQL error 1205", err)
	}
	waited := make(chan error, 1)
	go func() {
		_, err := db.Exec("UPDATE t SET v = 3 WHERE id = 2")
		waited <- err
	}()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Fatalf("write queued behind the transaction: %v", err)
	}
	if v1, v2 := value(1), value(2); v1 != 1 || v2 != 3 {
		t.Errorf("after COMMIT and the queued write: v = %d, %d; want 1, 3", v1, v2)
	}
}

// querier is a *sql.DB or a *sql.Conn (SHOW WARNINGS and SET timestamp are per session).
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryRows returns each row as its columns' text joined with "|", NULL as "".
func queryRows(t *testing.T, db querier, q string, args ...any) []string {
	t.Helper()
	_, rows := queryText(t, db, q, args...)
	out := make([]string, len(rows))
	for r, vals := range rows {
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = v.String
		}
		out[r] = strings.Join(parts, "|")
	}
	return out
}

// queryText runs q and returns its column names and every row's values as text.
func queryText(t *testing.T, db querier, q string, args ...any) (cols []string, out [][]sql.NullString) {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	if cols, err = rows.Columns(); err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, out
}

// TestRegexp runs MySQL's regular expression functions, which go-mysql-server evaluates with ICU compiled to
// WebAssembly: odsim's copy of that package (store/embedded/icuregex) compiles the module on the first
// REGEXP instead of at program start, and this is that first use. MariaDB gives the same answers.
func TestRegexp(t *testing.T) {
	t.Parallel()
	const q = "SELECT 'odsim42' REGEXP '^odsim[0-9]+$', 'x' REGEXP '^odsim', " +
		"REGEXP_REPLACE('a-b-c', '-', '+'), REGEXP_SUBSTR('apt 12 at 9', '[0-9]+')"
	const want = "1|0|a+b+c|12"
	run := func(t *testing.T, db *sql.DB) {
		for _, round := range []string{"first", "again"} { // the second reuses the pooled module
			if got := strings.Join(queryRows(t, db, q), "\n"); got != want {
				t.Errorf("%s: %s = %q, want %q", round, q, got, want)
			}
		}
	}
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		srv := start(t, embedded.Config{})
		run(t, open(t, srv.DSN(), true))
	})
	t.Run("mariadb", func(t *testing.T) {
		t.Parallel()
		storetest.RequireServer(t)
		run(t, open(t, storetest.NewDSN(t), true))
	})
}
