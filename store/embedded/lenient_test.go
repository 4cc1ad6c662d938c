package embedded_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/odsim/odsim/store/storetest"
)

// engines runs test on a fresh Open Dental schema of the embedded engine and, in parallel, of the
// MySQL/MariaDB test server, each through a connection with odsim's session settings (an empty sql_mode). With
// a server it also gives both subtests' results to compare once both are done.
func engines(t *testing.T, test func(t *testing.T, engine string, db *sql.DB) map[string][]string) {
	t.Helper()
	var mu sync.Mutex
	results := map[string]map[string][]string{}
	keep := func(engine string, r map[string][]string) {
		mu.Lock()
		defer mu.Unlock()
		results[engine] = r
	}
	t.Run("engines", func(t *testing.T) {
		t.Run("embedded", func(t *testing.T) {
			t.Parallel()
			_, db := withSchema(t)
			keep("embedded", test(t, "embedded", db))
		})
		t.Run("mariadb", func(t *testing.T) {
			t.Parallel()
			storetest.RequireServer(t)
			keep("mariadb", test(t, "mariadb", open(t, storetest.NewDSN(t), true)))
		})
	})
	emb, maria := results["embedded"], results["mariadb"]
	if emb == nil || maria == nil {
		return
	}
	keys := make([]string, 0, len(maria))
	for k := range maria {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Equal(emb[k], maria[k]) {
			t.Errorf("%s: the engines differ\nembedded: %q\nmariadb:  %q", k, emb[k], maria[k])
		}
	}
}

// TestInsertNamingFewColumns writes one row per watched table naming only a few columns, as a hand-written
// fixture does, and reads every column back: MariaDB with an empty sql_mode fills the others with their
// defaults or their type's implicit default (0, the empty string, the zero date), and so must the embedded engine.
// The expectations name the columns that show each rule; with a server the whole rows are compared too.
func TestInsertNamingFewColumns(t *testing.T) {
	t.Parallel()
	cases := []struct {
		table, insert, pk string
		want              map[string]string // column → text read back ("NULL" for NULL)
	}{
		{
			table:  "appointment",
			insert: "INSERT INTO appointment (AptNum, PatNum, AptStatus, AptDateTime, Note) VALUES (1, 10, 1, '2026-12-01 09:00:00', 'few columns')",
			pk:     "AptNum = 1",
			want: map[string]string{"PatNum": "10", "Confirmed": "0", "Pattern": "", "TimeLocked": "0", "Op": "0",
				"DateTimeArrived": "0000-00-00 00:00:00", "AptDateTime": "2026-12-01 09:00:00", "ProcsColored": "",
				"DateTimeAskedToArrive": "0001-01-01 00:00:00", "DateTStamp": "2025-03-04 10:00:00", "ProvBarText": ""},
		},
		{
			table:  "histappointment",
			insert: "INSERT INTO histappointment (HistApptNum, AptNum, PatNum, HistApptAction) VALUES (1, 1, 10, 4)",
			pk:     "HistApptNum = 1",
			want:   map[string]string{"HistApptAction": "4", "HistUserNum": "0", "Confirmed": "0", "AptDateTime": "0001-01-01 00:00:00"},
		},
		{
			table:  "operatory",
			insert: "INSERT INTO operatory (OperatoryNum, OpName, Abbrev) VALUES (1, 'Op 1', 'OP1')",
			pk:     "OperatoryNum = 1",
			want:   map[string]string{"OpName": "Op 1", "ItemOrder": "0", "ProvDentist": "0", "IsHidden": "0", "OperatoryType": "0"},
		},
		{
			table:  "patfield",
			insert: "INSERT INTO patfield (PatFieldNum, PatNum, FieldName) VALUES (1, 10, 'Favorite colour')",
			pk:     "PatFieldNum = 1",
			want:   map[string]string{"FieldName": "Favorite colour", "FieldValue": "NULL"},
		},
		{
			table:  "patient",
			insert: "INSERT INTO patient (PatNum, LName, FName) VALUES (10, 'Doe', 'Jane')",
			pk:     "PatNum = 10",
			want:   map[string]string{"LName": "Doe", "Guarantor": "0", "Birthdate": "0001-01-01", "PriProv": "0", "Email": ""},
		},
		{
			// The example: FeeSched has no default.
			table:  "provider",
			insert: "INSERT INTO provider (ProvNum, Abbr, LName, FName) VALUES (1, 'DOC1', 'Doe', 'Jan')",
			pk:     "ProvNum = 1",
			want:   map[string]string{"Abbr": "DOC1", "FeeSched": "0", "ProvColor": "0", "IsHidden": "0", "SchedNote": ""},
		},
		{
			table:  "schedule",
			insert: "INSERT INTO schedule (ScheduleNum, SchedDate, StartTime, StopTime) VALUES (1, '2026-12-01', '08:00:00', '17:00:00')",
			pk:     "ScheduleNum = 1",
			want:   map[string]string{"SchedDate": "2026-12-01", "StartTime": "08:00:00", "SchedType": "0", "ProvNum": "0", "Note": "NULL"},
		},
		{
			table:  "toothinitial",
			insert: "INSERT INTO toothinitial (ToothInitialNum, PatNum, ToothNum) VALUES (1, 10, '8')",
			pk:     "ToothInitialNum = 1",
			want:   map[string]string{"ToothNum": "8", "InitialType": "0", "Movement": "0", "DrawingSegment": "NULL"},
		},
	}
	engines(t, func(t *testing.T, _ string, db *sql.DB) map[string][]string {
		conn := pinnedConn(t, db, "2025-03-04 10:00:00")
		got := map[string][]string{}
		for _, c := range cases {
			if _, err := conn.ExecContext(context.Background(), c.insert); err != nil {
				t.Errorf("%s: %v", c.insert, err)
				continue
			}
			row := readRow(t, conn, "SELECT * FROM "+c.table+" WHERE "+c.pk)
			for col, want := range c.want {
				if v, ok := row[col]; !ok || v != want {
					t.Errorf("%s: %s = %q, want %q", c.table, col, v, want)
				}
			}
			got[c.table] = rowText(row)
		}
		return got
	})
}

// TestNonStrictValues checks each of MariaDB's non-strict rules for values an INSERT or UPDATE gives: on
// both engines the same values are stored and the same warnings reported, and the same statements fail.
func TestNonStrictValues(t *testing.T) {
	t.Parallel()
	const create = "CREATE TABLE t (id bigint NOT NULL, i int NOT NULL, ti tinyint NOT NULL, tu tinyint unsigned NOT NULL," +
		" su smallint unsigned NOT NULL, b bigint NOT NULL, v varchar(5) NOT NULL, tx text NOT NULL, d date NOT NULL," +
		" dt datetime NOT NULL, tm time NOT NULL, db double NOT NULL, vn varchar(5) NULL, PRIMARY KEY (id)) ENGINE=MyISAM"
	// Every statement writes all the columns but those under test with valid values, so that each case
	// shows one rule.
	const cols = "(id, i, ti, tu, su, b, v, tx, d, dt, tm, db)"
	cases := []struct {
		name     string
		sql      string
		id       int
		want     string // the row's columns i,ti,tu,su,b,v,tx,d,dt,tm,db,vn joined by "|"
		warnings []int  // codes SHOW WARNINGS lists, sorted
		err      int    // the MySQL error number when the statement fails
		// embeddedErr is the embedded engine's error number where it differs (go-mysql-server's own
		// strict-mode errors come as 1105 with MySQL's message).
		embeddedErr int
	}{
		{
			name:     "left-out NOT NULL columns get implicit defaults",
			sql:      "INSERT INTO t (id) VALUES (1)",
			id:       1,
			want:     "0|0|0|0|0|||0000-00-00|0000-00-00 00:00:00|00:00:00|0|NULL",
			warnings: []int{1364, 1364, 1364, 1364, 1364, 1364, 1364, 1364, 1364, 1364, 1364},
		},
		{
			name:     "numbers past the column's range are clipped",
			sql:      "INSERT INTO t " + cols + " VALUES (2, 99999999999, 300, -5, 70000, '99999999999999999999', 'a', '', '2025-01-01', '2025-01-01', '00:00:00', '1e400')",
			id:       2,
			want:     "2147483647|127|0|65535|9223372036854775807|a||2025-01-01|2025-01-01 00:00:00|00:00:00|1.7976931348623157e+308|NULL",
			warnings: []int{1264, 1264, 1264, 1264, 1264, 1264},
		},
		{
			name:     "text is read as far as it is a number",
			sql:      "INSERT INTO t " + cols + " VALUES (3, '12abc', '', '7', ' 8', '-3.5e1x', 'a', '', '2025-01-01', '2025-01-01', '00:00:00', 'x1')",
			id:       3,
			want:     "12|0|7|8|-35|a||2025-01-01|2025-01-01 00:00:00|00:00:00|0|NULL",
			warnings: []int{1265, 1265, 1366, 1366},
		},
		{
			name: "fractions round half away from zero",
			sql:  "INSERT INTO t " + cols + " VALUES (4, 2.5, -2.5, 3.7, 0.4, -3.5, 'a', '', '2025-01-01', '2025-01-01', '00:00:00', 0)",
			id:   4,
			want: "3|-3|4|0|-4|a||2025-01-01|2025-01-01 00:00:00|00:00:00|0|NULL",
		},
		{
			name:     "over-long strings are cut to the column's length",
			sql:      "INSERT INTO t (id, i, ti, tu, su, b, v, tx, d, dt, tm, db, vn) VALUES (5, 0, 0, 0, 0, 0, 'abcdefgh', '', '2025-01-01', '2025-01-01', '00:00:00', 0, 'ééééééé')",
			id:       5,
			want:     "0|0|0|0|0|abcde||2025-01-01|2025-01-01 00:00:00|00:00:00|0|ééééé",
			warnings: []int{1265, 1265},
		},
		{
			name:     "invalid dates and times become zero",
			sql:      "INSERT INTO t " + cols + " VALUES (6, 0, 0, 0, 0, 0, 'a', '', '2025-02-30', 'garbage', '25:99:99', 0)",
			id:       6,
			want:     "0|0|0|0|0|a||0000-00-00|0000-00-00 00:00:00|00:00:00|0|NULL",
			warnings: []int{1265, 1265, 1265},
		},
		{
			name: "numbers are read as dates",
			sql:  "INSERT INTO t " + cols + " VALUES (7, 0, 0, 0, 0, 0, 'a', '', 20250105, 20250105070302, '7:03', 0)",
			id:   7,
			want: "0|0|0|0|0|a||2025-01-05|2025-01-05 07:03:02|07:03:00|0|NULL",
		},
		{
			name:     "NULL in a multi-row INSERT becomes the implicit default",
			sql:      "INSERT INTO t " + cols + " VALUES (8, NULL, 0, 0, 0, 0, NULL, '', NULL, '2025-01-01', '00:00:00', 0), (9, 1, 0, 0, 0, 0, 'a', '', '2025-01-01', '2025-01-01', '00:00:00', 0)",
			id:       8,
			want:     "0|0|0|0|0|||0000-00-00|2025-01-01 00:00:00|00:00:00|0|NULL",
			warnings: []int{1048, 1048, 1048},
		},
		{
			name:     "INSERT ... SELECT is a multi-row INSERT",
			sql:      "INSERT INTO t (id, i, v) SELECT 10, NULL, 'abcdefgh'",
			id:       10,
			want:     "0|0|0|0|0|abcde||0000-00-00|0000-00-00 00:00:00|00:00:00|0|NULL",
			warnings: []int{1048, 1265, 1364, 1364, 1364, 1364, 1364, 1364, 1364, 1364, 1364},
		},
		{
			name: "NULL in a single-row INSERT fails",
			sql:  "INSERT INTO t " + cols + " VALUES (11, NULL, 0, 0, 0, 0, 'a', '', '2025-01-01', '2025-01-01', '00:00:00', 0)",
			id:   11,
			err:  1048,
		},
		{
			name:     "UPDATE cuts, clips and turns NULL into the implicit default",
			sql:      "UPDATE t SET v = 'toolongvalue', i = NULL, ti = 1000, d = '2025-02-31' WHERE id = 1",
			id:       1,
			want:     "0|127|0|0|0|toolo||0000-00-00|0000-00-00 00:00:00|00:00:00|0|NULL",
			warnings: []int{1048, 1264, 1265, 1265},
		},
		{
			name:     "ON DUPLICATE KEY UPDATE values follow the same rules",
			sql:      "INSERT INTO t (id) VALUES (1) ON DUPLICATE KEY UPDATE v = 'abcdefgh', i = '42x'",
			id:       1,
			want:     "42|127|0|0|0|abcde||0000-00-00|0000-00-00 00:00:00|00:00:00|0|NULL",
			warnings: []int{1265, 1265, 1364, 1364, 1364, 1364, 1364, 1364, 1364, 1364, 1364},
		},
		{
			name:        "a strict session refuses what non-strict accepts",
			sql:         "SET SESSION sql_mode = 'STRICT_TRANS_TABLES'; INSERT INTO t (id) VALUES (12)",
			id:          12,
			err:         1364,
			embeddedErr: 1105,
		},
	}
	engines(t, func(t *testing.T, engine string, db *sql.DB) map[string][]string {
		ctx := context.Background()
		conn := pinnedConn(t, db, "2025-03-04 10:00:00")
		if _, err := conn.ExecContext(ctx, create); err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, c := range cases {
			var err error
			for _, stmt := range strings.Split(c.sql, "; ") {
				if _, err = conn.ExecContext(ctx, stmt); err != nil {
					break
				}
			}
			var codes []int
			if err == nil {
				codes = warningCodes(t, conn)
			}
			wantErr := c.err
			if engine == "embedded" && c.embeddedErr != 0 {
				wantErr = c.embeddedErr
			}
			var me *mysql.MySQLError
			switch {
			case wantErr != 0 && (!errors.As(err, &me) || me.Number != uint16(wantErr)):
				t.Errorf("%s: err = %v, want MySQL error %d", c.name, err, wantErr)
			case c.err != 0:
				if n := count(t, conn, c.id); n != 0 {
					t.Errorf("%s: failed, but wrote %d rows", c.name, n)
				}
			case err != nil:
				t.Errorf("%s: %v", c.name, err)
			default:
				row := strings.Join(queryRows(t, conn, "SELECT i, ti, tu, su, b, v, tx, d, dt, tm, db, IFNULL(vn, 'NULL') FROM t WHERE id = ?", c.id), "\n")
				if row != c.want {
					t.Errorf("%s: row %q, want %q", c.name, row, c.want)
				}
				if !slices.Equal(codes, c.warnings) {
					t.Errorf("%s: warnings %v, want %v", c.name, codes, c.warnings)
				}
				got[c.name] = []string{row}
			}
		}
		return got
	})
}

// pinnedConn is one connection of db with NOW() pinned at now, closed at the end of the test.
func pinnedConn(t *testing.T, db *sql.DB, now string) *sql.Conn {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(context.Background(), "SET timestamp = UNIX_TIMESTAMP(?)", now); err != nil {
		t.Fatal(err)
	}
	return conn
}

// readRow reads the one row q selects as column name → text, "NULL" for NULL, with the column order kept
// under the key "\x00order".
func readRow(t *testing.T, conn *sql.Conn, q string) map[string]string {
	t.Helper()
	cols, rows := queryText(t, conn, q)
	if len(rows) != 1 {
		t.Fatalf("%s: %d rows, want 1", q, len(rows))
	}
	out := map[string]string{"\x00order": strings.Join(cols, "\x00")}
	for i, c := range cols {
		out[c] = "NULL"
		if rows[0][i].Valid {
			out[c] = rows[0][i].String
		}
	}
	return out
}

// rowText is a row of readRow as "column=value" in column order.
func rowText(row map[string]string) []string {
	var out []string
	for _, c := range strings.Split(row["\x00order"], "\x00") {
		out = append(out, c+"="+row[c])
	}
	return out
}

// warningCodes lists the codes of the last statement's warnings, sorted.
func warningCodes(t *testing.T, conn *sql.Conn) []int {
	t.Helper()
	var codes []int
	for _, line := range queryRows(t, conn, "SHOW WARNINGS") {
		parts := strings.Split(line, "|")
		code, err := strconv.Atoi(parts[1])
		if err != nil {
			t.Fatalf("SHOW WARNINGS line %q", line)
		}
		codes = append(codes, code)
	}
	slices.Sort(codes)
	return codes
}

func count(t *testing.T, conn *sql.Conn, id int) int {
	t.Helper()
	var n int
	if err := conn.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM t WHERE id = ?", id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestNonStrictPreparedStatements sends the values as bound parameters of server-side prepared statements
// (a client that does not interpolate them): they arrive typed, and follow the same rules.
func TestNonStrictPreparedStatements(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		conn := pinnedConn(t, db, "2025-03-04 10:00:00")
		steps := []struct {
			sql  string
			args []any
		}{
			{"CREATE TABLE t (id bigint NOT NULL, i int NOT NULL, v varchar(3) NOT NULL, d date NOT NULL, PRIMARY KEY (id))", nil},
			{"INSERT INTO t (id) VALUES (?)", []any{1}},
			{"INSERT INTO t (id, i, v, d) VALUES (?, ?, ?, ?)", []any{2, "7 apples", "abcdef", "2025-02-30"}},
			{"INSERT INTO t (id, i, v, d) VALUES (?, ?, ?, ?)", []any{3, int64(1) << 40, []byte("xyz"), int64(20250105)}},
			{"UPDATE t SET v = ?, i = ? WHERE id = ?", []any{"toolong", nil, 3}},
		}
		for _, st := range steps {
			if _, err := conn.ExecContext(ctx, st.sql, st.args...); err != nil {
				t.Fatalf("%s %v: %v", st.sql, st.args, err)
			}
		}
		got := strings.Join(queryRows(t, conn, "SELECT id, i, v, d FROM t ORDER BY id"), "\n")
		want := "1|0||0000-00-00\n2|7|abc|0000-00-00\n3|0|too|2025-01-05"
		if got != want {
			t.Errorf("rows:\n%s\nwant\n%s", got, want)
		}
	}
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		srv, _ := withSchema(t)
		run(t, open(t, srv.DSN(), false))
	})
	t.Run("mariadb", func(t *testing.T) {
		t.Parallel()
		storetest.RequireServer(t)
		run(t, open(t, storetest.NewDSN(t), false))
	})
}
