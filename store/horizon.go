package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// The window horizon.
//
// A statement stamps the rows it writes (DateTStamp, SecDateTEdit: CURRENT_TIMESTAMP) with the second
// it started, but other sessions see those rows only when it ends — or, inside a transaction, when the
// transaction commits. A poll window [DateTimeStart, NOW()) read while such a write is still running
// misses its rows, and the cursor then moves past their stamps for good: Open Dental's in-flight gap.
// Horizon tells the poller how far back to hold the window's end so that this cannot happen: to the
// start of the oldest write that may still become visible, and no further.
//
// What counts as a write in flight:
//
//   - A statement of another session (not the one reading) that is running and may write: anything
//     but SELECT, SHOW, SET, DO, EXPLAIN, transaction control and the like, and odsim's own writes to
//     apisubscription (see mayWrite), on odsim's database: the session's current database is it, or
//     the statement names it (as it must to write there from another database or none).
//     information_schema.PROCESSLIST gives its age: MariaDB's TIME_MS to the microsecond, MySQL's TIME
//     in whole seconds, counted as one second more.
//   - An open InnoDB transaction that has written rows ("undo log entries" in SHOW ENGINE INNODB
//     STATUS), of another session whose current database is odsim's or none, or whose running
//     statement names it: its rows stay invisible until it commits, and none is older than its start
//     ("ACTIVE n sec", counted as n+1) less one second, since InnoDB registers a transaction a moment
//     after its first statement began. A transaction that has written nothing yet does not count: a
//     statement it runs later stamps a later second than this NOW().
//
// A read runs two statements, NOW(6) with PROCESSLIST, then SHOW ENGINE INNODB STATUS: a first write
// of a transaction that ends between the two was seen running by the first, or its transaction,
// registered before that write ended, is listed by the second. (information_schema.INNODB_TRX would
// be one statement with the first, but InnoDB answers it from a cache that it refreshes only after
// nobody has read it for 100 ms: with a few programs reading it, as several odsims on one server do,
// it can be seconds old and miss a transaction begun since. The status is built on every call.)
//
// Callers asking while a read is being made share it (a read begun after a caller asked is as good as
// its own), so a poll of many subscriptions reads once.
//
// Sessions other than odsim's own are visible only with the PROCESS privilege. Without it, MySQL and
// MariaDB show a user only its own sessions and refuse InnoDB's status; Horizon then says what it
// cannot see, and the poller holds windows back by a fixed lag instead (poller.DefaultUnseenLag).
//
// The embedded engine runs one connection's statement or transaction at a time, so while odsim's
// statement runs no other write is in flight, and the horizon is exactly NOW(). It says so with a
// read-only global variable, @@odsim_one_at_a_time = 1 (store/embedded), which MySQL and MariaDB do not
// have, so that any connection to it knows, whoever started it.
//
// Not seen, and said so in the README: a statement whose session pinned its clock (SET timestamp) in
// the past stamps rows earlier than its age tells; a write that first waited over a second for a table
// lock inside a transaction that is still open after it ended is held for only from its transaction's
// registration; a function called by a SELECT that writes a table.
type horizon struct {
	mu   sync.Mutex
	view *writerView // nil until detected

	// The last read: when it began (host clock), and what it found.
	began       time.Time
	now, oldest time.Time
}

// writerView is what odsim can see of the writes in flight on its database, detected once.
type writerView struct {
	statements string // NOW(6) (kind 0), running statements (1) and the sessions on odsim's database (2)
	innodb     bool   // open transactions are read from SHOW ENGINE INNODB STATUS
	unseen     string // what it cannot see, "" when it sees every writer
}

// writerView returns the detected view, detecting it first when needed; hz.mu is held.
func (db *DB) writerView(ctx context.Context) (*writerView, error) {
	if db.hz.view != nil {
		return db.hz.view, nil
	}
	v, err := detectWriters(ctx, db.db)
	if err != nil {
		return nil, fmt.Errorf("detect writers in flight: %w", err)
	}
	db.hz.view = v
	return v, nil
}

// oneAtATimeVariable is store/embedded's OneAtATimeVariable: 1 on an engine that runs one connection's
// statement or transaction at a time.
const oneAtATimeVariable = "odsim_one_at_a_time"

// detectWriters finds out whether the engine runs one statement at a time, whether PROCESSLIST has TIME_MS and whether the session may read InnoDB's
// status.
func detectWriters(ctx context.Context, db *sql.DB) (*writerView, error) {
	var oneAtATime sql.NullString
	switch err := db.QueryRowContext(ctx, "SELECT @@global."+oneAtATimeVariable).Scan(&oneAtATime); {
	case err == nil && oneAtATime.String == "1":
		return &writerView{statements: "SELECT 0, NOW(6), NULL, NULL"}, nil
	case err != nil && !isServerError(err):
		return nil, err
	} // a server without the variable: MySQL or MariaDB
	age := "TIME_MS"
	if err := probe(ctx, db, "SELECT TIME_MS FROM information_schema.PROCESSLIST LIMIT 0"); err != nil {
		if !isServerError(err) {
			return nil, err
		}
		age = "TIME * 1000 + 1000" // MySQL: whole seconds, rounded down
	}
	v := &writerView{statements: "SELECT 0, NOW(6), NULL, NULL UNION ALL " +
		"SELECT 1, NULL, " + age + ", LEFT(INFO, 256) FROM information_schema.PROCESSLIST" +
		" WHERE ID <> CONNECTION_ID() AND COMMAND <> 'Sleep' AND INFO IS NOT NULL" +
		" AND (DB = DATABASE() OR INSTR(INFO, DATABASE()) > 0)" +
		" UNION ALL SELECT 2, NULL, ID, NULL FROM information_schema.PROCESSLIST" +
		" WHERE ID <> CONNECTION_ID() AND (DB = DATABASE() OR DB IS NULL OR INSTR(INFO, DATABASE()) > 0)"}
	status, err := innodbStatus(ctx, db)
	var me *mysql.MySQLError
	switch {
	case errors.As(err, &me) && me.Number == 1227:
		v.unseen = "the database user lacks the PROCESS privilege, so other users' statements and every open transaction are invisible to it"
	case errors.As(err, &me) && me.Number == 1286: // unknown storage engine: no InnoDB, no transaction to wait for
	case err != nil && isServerError(err):
		v.unseen = "InnoDB's status cannot be read (" + err.Error() + "), so open transactions are invisible"
	case err != nil:
		return nil, err
	case !strings.Contains(status, "\nTRANSACTIONS\n"):
		v.unseen = "InnoDB's status lists no transactions section, so open transactions are invisible"
	default:
		v.innodb = true
	}
	return v, nil
}

// innodbStatus returns the text of SHOW ENGINE INNODB STATUS.
func innodbStatus(ctx context.Context, db *sql.DB) (string, error) {
	var typ, name, status string
	if err := db.QueryRowContext(ctx, "SHOW ENGINE INNODB STATUS").Scan(&typ, &name, &status); err != nil {
		return "", err
	}
	return status, nil
}

// probe runs a query for its error only.
func probe(ctx context.Context, db *sql.DB, q string) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

// isServerError reports whether err is the server refusing a statement (as opposed to the connection
// failing).
func isServerError(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me)
}

// Horizon reads the database's NOW() to the microsecond and, on the same clock, the start of the
// oldest write still in flight on odsim's database (zero when none is). unseen is "" when every writer
// is visible, or else what is not (detected once): the caller must then allow for writes it cannot see.
func (db *DB) Horizon(ctx context.Context) (now, oldest time.Time, unseen string, err error) {
	asked := time.Now()
	hz := &db.hz
	hz.mu.Lock()
	defer hz.mu.Unlock()
	v, err := db.writerView(ctx)
	if err != nil {
		return time.Time{}, time.Time{}, "", fmt.Errorf("read horizon: %w", err)
	}
	if !hz.began.IsZero() && hz.began.After(asked) {
		return hz.now, hz.oldest, v.unseen, nil // read after this caller asked: as fresh as its own
	}
	began := time.Now()
	if now, oldest, err = readHorizon(ctx, db.db, v); err != nil {
		return time.Time{}, time.Time{}, "", fmt.Errorf("read horizon: %w", err)
	}
	hz.began, hz.now, hz.oldest = began, now, oldest
	return now, oldest, v.unseen, nil
}

// readHorizon reads NOW(6), the running statements and the sessions on odsim's database, then the
// open transactions.
func readHorizon(ctx context.Context, db *sql.DB, v *writerView) (now, oldest time.Time, err error) {
	rows, err := db.QueryContext(ctx, v.statements)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	defer rows.Close()
	var ages []float64 // milliseconds before now
	sessions := map[int64]bool{}
	for rows.Next() {
		var kind int
		var at, age, info sql.NullString
		if err := rows.Scan(&kind, &at, &age, &info); err != nil {
			return time.Time{}, time.Time{}, err
		}
		switch kind {
		case 0:
			if now, err = parseMicros(at.String); err != nil {
				return time.Time{}, time.Time{}, err
			}
		case 1:
			if !mayWrite(info.String) {
				continue
			}
			ms, err := strconv.ParseFloat(age.String, 64)
			if err != nil {
				ms = 0 // unreadable: counted as just begun, which still holds the window at its second
			}
			// TIME_MS is measured on the server's steady clock, NOW() on its wall clock; allow for the
			// wall clock being slewed by up to a thousandth meanwhile, and a millisecond more.
			ages = append(ages, ms*1.001+1)
		case 2: // the column's type is TIME_MS's, a decimal
			if id, err := strconv.ParseFloat(age.String, 64); err == nil {
				sessions[int64(id)] = true
			}
		}
	}
	if err := rows.Err(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	rows.Close()
	if now.IsZero() {
		return time.Time{}, time.Time{}, errors.New("no NOW() in the answer")
	}
	if v.innodb {
		status, err := innodbStatus(ctx, db)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("InnoDB status: %w", err)
		}
		trx, err := writeTransactions(status)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		for _, t := range trx {
			if sessions[t.thread] {
				// ACTIVE n sec: begun n to n+1 seconds ago; its first write up to a second earlier.
				ages = append(ages, float64(t.active+2)*1000)
			}
		}
	}
	for _, ms := range ages {
		if start := now.Add(-time.Duration(ms * float64(time.Millisecond))); oldest.IsZero() || start.Before(oldest) {
			oldest = start
		}
	}
	return now, oldest, nil
}

// openTransaction is one transaction of InnoDB's status that has written rows.
type openTransaction struct {
	thread int64 // the session's connection id
	active int64 // seconds since it began, rounded down
}

var (
	trxHeadRE   = regexp.MustCompile(`^---TRANSACTION [^,]*, ACTIVE (?:\(PREPARED\) )?(\d+) sec`)
	trxThreadRE = regexp.MustCompile(`^(?:MariaDB|MySQL) thread id (\d+),`)
	trxUndoRE   = regexp.MustCompile(`undo log entries (\d+)`)
)

// writeTransactions finds, in the text of SHOW ENGINE INNODB STATUS, the active transactions that
// have written rows (undo log entries), with their session and age. A status cut short, which InnoDB
// does when the transactions would make it over a megabyte, is an error: what it left out is unknown.
func writeTransactions(status string) ([]openTransaction, error) {
	start := strings.Index(status, "\nTRANSACTIONS\n")
	if start < 0 {
		return nil, errors.New("InnoDB status without a TRANSACTIONS section")
	}
	var out []openTransaction
	var cur *openTransaction
	written := false
	flush := func() {
		if cur != nil && written && cur.thread != 0 {
			out = append(out, *cur)
		}
		cur, written = nil, false
	}
	for _, line := range strings.Split(status[start+1:], "\n") {
		switch {
		case strings.HasPrefix(line, "---TRANSACTION "):
			flush()
			if m := trxHeadRE.FindStringSubmatch(line); m != nil {
				n, _ := strconv.ParseInt(m[1], 10, 64)
				cur = &openTransaction{active: n}
			}
		case line == "...truncated...":
			return nil, errors.New("InnoDB status cut short: too many transactions to see them all")
		case strings.HasPrefix(line, "--------") && cur != nil:
			flush() // the end of the section
		case cur != nil:
			if m := trxThreadRE.FindStringSubmatch(line); m != nil {
				cur.thread, _ = strconv.ParseInt(m[1], 10, 64)
			}
			if m := trxUndoRE.FindStringSubmatch(line); m != nil && m[1] != "0" {
				written = true
			}
		}
	}
	flush()
	return out, nil
}

// parseMicros parses NOW(6)'s text.
func parseMicros(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02 15:04:05.999999", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse database time %q: %w", s, err)
	}
	return t, nil
}

// readOnly are the statements that write no row: queries, session settings, transaction control
// (an open transaction's writes are counted from INNODB_TRX, whatever it runs next).
var readOnly = map[string]bool{
	"SELECT": true, "SHOW": true, "DESCRIBE": true, "DESC": true, "EXPLAIN": true, "HELP": true,
	"USE": true, "SET": true, "DO": true, "VALUES": true, "TABLE": true, "KILL": true,
	"BEGIN": true, "START": true, "COMMIT": true, "ROLLBACK": true, "SAVEPOINT": true, "RELEASE": true,
}

// mayWrite reports whether a running statement, from the first 256 characters of its text, may
// write rows: every statement but those of readOnly (after leading blanks and comments) and a
// parenthesized query. A statement that cannot be told (an executable comment /*! ... */, text cut
// inside a comment) may write. A function called by a SELECT, SET or DO that writes a table is not
// seen; Open Dental does not write that way.
func mayWrite(text string) bool {
	s := text
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case strings.HasPrefix(s, "/*!"), strings.HasPrefix(s, "/*M!"):
			return true
		case strings.HasPrefix(s, "/*"):
			end := strings.Index(s[2:], "*/")
			if end < 0 {
				return true
			}
			s = s[2+end+2:]
			continue
		case strings.HasPrefix(s, "-- "), strings.HasPrefix(s, "#"):
			end := strings.IndexByte(s, '\n')
			if end < 0 {
				return true
			}
			s = s[end+1:]
			continue
		}
		break
	}
	if strings.HasPrefix(s, "(") {
		return false
	}
	end := strings.IndexFunc(s, func(r rune) bool {
		return (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') && r != '_'
	})
	if end < 0 {
		end = len(s)
	}
	word := strings.ToUpper(s[:end])
	switch word {
	case "SET":
		// MariaDB's SET STATEMENT var=value FOR statement runs any statement.
		rest := strings.TrimLeft(s[end:], " \t\r\n")
		return len(rest) >= 9 && strings.EqualFold(rest[:9], "STATEMENT")
	case "INSERT", "UPDATE", "DELETE":
		return !onSubscriptions(s[end:])
	}
	return !readOnly[word]
}

// onSubscriptions reports whether the rest of an INSERT, UPDATE or DELETE names apisubscription as
// its table: odsim's own cursor and subscription writes, on a table no subscription watches.
func onSubscriptions(rest string) bool {
	words := strings.Fields(strings.ToUpper(rest[:min(len(rest), 64)]))
	for _, w := range words {
		switch strings.Trim(w, "`") {
		case "INTO", "FROM", "IGNORE", "LOW_PRIORITY", "QUICK":
			continue
		case "APISUBSCRIPTION":
			return true
		}
		return false
	}
	return false
}
