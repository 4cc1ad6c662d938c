package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/odsim/odsim/payload"
	"github.com/odsim/odsim/subscriptions"
)

// KeysPerRead is how many primary keys of a window one read of its keys returns. A window is read in
// two steps: its keys, in order, a large slice at a time; then its pages, 1000 keys at a time, by
// primary key. 100,000 keys are 800 KB per window being read.
const KeysPerRead = 100_000

// windowQuery is the prepared form of one watched table: its SELECTs and its payload encoder.
type windowQuery struct {
	watched
	object *payload.Object
	any    string // whether the window holds a row; parameters: start, stop
	keys   string // parameters: start, stop, after watch, after key, count
	page   string // the SELECT before the list of keys
	pk     string // the primary key's expression
	order  string // the rest after the keys; parameters: start, stop
}

// windowQueries holds one windowQuery per WatchTable. It is built once from watchedTables and never
// changed.
var windowQueries = buildWindowQueries()

func buildWindowQueries() map[subscriptions.WatchTable]*windowQuery {
	m := make(map[subscriptions.WatchTable]*windowQuery, len(watchedTables))
	for _, w := range watchedTables {
		fields := make([]payload.Field, len(w.columns))
		exprs := make([]string, 0, len(w.columns)+1)
		for i, c := range w.columns {
			fields[i] = c.Field
			exprs = append(exprs, c.expr)
		}
		exprs = append(exprs, w.watch) // read last, for Page.Last; not part of the payload
		q := &windowQuery{watched: w, object: payload.NewObject(fields)}
		q.any, q.keys, q.page, q.order = windowSQL(w, exprs)
		q.pk = w.columns[0].expr
		m[w.table] = q
	}
	return m
}

// windowSQL builds the SELECTs that read w's window [start, stop) in the order of its watch
// column, the primary key (the first column) breaking ties in the second-precision timestamps:
//
//   - anyRow tells whether the window holds a row at all, for the idle subscriptions of a poll.
//   - keys lists the primary keys and watch values of the window after a position (the watch value and
//     primary key of the last key read before; the start and 0 at first), up to a count. It reads only
//     the base table's watch column and primary key.
//   - page (with the keys as parameters, then order) reads the elements of up to 1000 of those keys,
//     with their joins and derived fields, by primary key, keeping only rows still in the window.
//
// The pages are those of Open Dental's LIMIT offset, count over ORDER BY watch, pk — the same rows,
// split at the same places — as long as no row of the window changes while it is sent. When one does,
// its new timestamp takes it out of the window (it is sent in the next one) and its page has one
// element fewer; with offsets every later row would move up one place and the next page would skip
// one, for good, since the cursor then moves past it (the fault harness, bench/faults, found the skip
// under an ordinary writer). Paging by position skips nothing.
//
// The one-statement form, SELECT elements ... WHERE window ORDER BY watch, pk LIMIT offset, 1000,
// makes the database scan and sort the window (every column of it) again for each page, since Open
// Dental's tables have no index on (watch, pk): a window of N rows cost O(N²/1000). Here the window is
// sorted once per KeysPerRead keys, narrow, and each page is 1000 primary-key lookups.
func windowSQL(w watched, exprs []string) (anyRow, keys, page, order string) {
	// from is "table alias" followed by LEFT JOINs that hang derived fields off the alias; the window
	// condition, the filter and the order name only the base table.
	base, _, _ := strings.Cut(w.from, " LEFT JOIN ")
	pk := w.columns[0].expr
	window := w.watch + " >= ? AND " + w.watch + " < ?"
	if w.filter != "" {
		window += " AND " + w.filter
	}
	orderBy := " ORDER BY " + w.watch + ", " + pk
	anyRow = "SELECT 1 FROM " + base + " WHERE " + window + " LIMIT 1"
	keys = "SELECT " + pk + ", " + w.watch + " FROM " + base + " WHERE " + window +
		" AND (" + w.watch + ", " + pk + ") > (?, ?)" + orderBy + " LIMIT ?"
	page = "SELECT " + strings.Join(exprs, ", ") + " FROM " + w.from + " WHERE ("
	order = ") AND " + window + orderBy
	return anyRow, keys, page, order
}

// PayloadFields returns the ordered payload fields of a WatchTable's elements.
func PayloadFields(t subscriptions.WatchTable) []payload.Field {
	q, ok := windowQueries[t]
	if !ok {
		return nil
	}
	return q.object.Fields()
}

// WindowSQL returns the two SELECTs that read t's window (see Window): keys, whose parameters are the
// window's start and stop, the watch value and primary key of the last key read before, and
// KeysPerRead; and page(n), whose parameters are n primary keys, then the window's start and stop.
// The bench's floor runs them to time the database alone on exactly odsim's queries. keys is "" for
// an unknown WatchTable.
func WindowSQL(t subscriptions.WatchTable) (keys string, page func(n int) string) {
	q, ok := windowQueries[t]
	if !ok {
		return "", nil
	}
	return q.keys, q.pageSQL
}

// pageSQL is the page SELECT for n keys.
//
// The keys are listed in IN lists of at most inListKeys, joined by OR: MariaDB turns an IN list of
// in_predicate_conversion_threshold (1000) values or more into a join with a temporary table of the
// values, and since the page has TEXT columns its result goes through a temporary table on disk.
func (q *windowQuery) pageSQL(n int) string {
	var b strings.Builder
	b.Grow(len(q.page) + 3*n + (n/inListKeys+1)*(len(q.pk)+12) + len(q.order))
	b.WriteString(q.page)
	for i := range n {
		switch {
		case i == 0:
			b.WriteString(q.pk + " IN (?")
		case i%inListKeys == 0:
			b.WriteString(") OR " + q.pk + " IN (?")
		default:
			b.WriteString(", ?")
		}
	}
	b.WriteString(")")
	b.WriteString(q.order)
	return b.String()
}

// inListKeys is the most keys one IN list of a page SELECT holds.
const inListKeys = 500

// Changed reports whether table t has a row in the window [start, stop): whether a poll of it would
// POST anything.
func (db *DB) Changed(ctx context.Context, t subscriptions.WatchTable, start, stop time.Time) (bool, error) {
	q, ok := windowQueries[t]
	if !ok {
		return false, fmt.Errorf("read %s window: unknown WatchTable", t)
	}
	var one int
	switch err := db.db.QueryRowContext(ctx, q.any, dbTime(start), dbTime(stop)).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read %s window: %w", t, err)
	}
	return true, nil
}

// Window returns a reader of the pages of table t's window [start, stop): the rows whose watch column
// is in it, ordered by it and the primary key, at most limit a page, each encoded as the JSON array
// Open Dental POSTs. Its Next returns a page with no elements at the window's end. A reader is used by
// one goroutine at a time.
func (db *DB) Window(t subscriptions.WatchTable, start, stop time.Time, limit int) payload.Pages {
	q, ok := windowQueries[t]
	if !ok {
		return badWindow{fmt.Errorf("read %s window: unknown WatchTable", t)}
	}
	s := dbTime(start)
	return &windowReader{db: db, q: q, start: s, stop: dbTime(stop), limit: limit, afterWatch: s}
}

type badWindow struct{ err error }

func (w badWindow) Next(context.Context, payload.Page) (payload.Page, error) {
	return payload.Page{}, w.err
}

// windowReader reads one window: keys KeysPerRead at a time, pages limit keys at a time.
type windowReader struct {
	db          *DB
	q           *windowQuery
	start, stop string
	limit       int

	keys       []int64 // read and not yet paged, in order
	keyBuf     []int64 // keys' memory, reused for each read of keys
	afterWatch string  // the position after the last key read
	afterKey   int64
	keysDone   bool  // the last read of keys reached the window's end
	args       []any // reused for the page SELECT's parameters
}

// Next reads and encodes the next page into reuse's memory: its body and keys are overwritten and
// reused when large enough, so a caller that keeps no page past the next one reads a whole window into
// the same memory. A page with no elements means the window has been read to its end.
func (r *windowReader) Next(ctx context.Context, reuse payload.Page) (payload.Page, error) {
	for {
		if len(r.keys) == 0 {
			if r.keysDone {
				return payload.Page{}, nil
			}
			if err := r.readKeys(ctx); err != nil {
				return payload.Page{}, err
			}
			continue
		}
		n := min(r.limit, len(r.keys))
		page, err := r.readPage(ctx, r.keys[:n], reuse)
		r.keys = r.keys[n:]
		if err != nil || page.Count > 0 {
			return page, err
		}
		// Every row of these keys changed since its key was read: they are in the next window.
	}
}

// readKeys reads the next KeysPerRead keys of the window.
func (r *windowReader) readKeys(ctx context.Context) error {
	rows, err := r.db.db.QueryContext(ctx, r.q.keys, r.start, r.stop, r.afterWatch, r.afterKey, KeysPerRead)
	if err != nil {
		return fmt.Errorf("read %s window: %w", r.q.table, err)
	}
	defer rows.Close()
	keys := r.keyBuf[:0]
	var key, watch sql.RawBytes
	var last [32]byte // the last watch value, kept past the next Scan
	lastLen := 0
	for rows.Next() {
		if err := rows.Scan(&key, &watch); err != nil {
			return fmt.Errorf("read %s window: %w", r.q.table, err)
		}
		keys = append(keys, parseKey(key))
		lastLen = copy(last[:], watch)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s window: %w", r.q.table, err)
	}
	r.keyBuf, r.keys = keys, keys
	r.keysDone = len(keys) < KeysPerRead
	if len(keys) > 0 {
		r.afterWatch, r.afterKey = string(last[:lastLen]), keys[len(keys)-1]
	}
	return nil
}

// readPage reads and encodes the elements of keys that are still in the window.
func (r *windowReader) readPage(ctx context.Context, keys []int64, reuse payload.Page) (payload.Page, error) {
	q := r.q
	args := r.args[:0]
	for _, k := range keys {
		args = append(args, k)
	}
	args = append(args, r.start, r.stop)
	r.args = args
	rows, err := r.db.db.QueryContext(ctx, q.pageSQL(len(keys)), args...)
	if err != nil {
		return payload.Page{}, fmt.Errorf("read %s page: %w", q.table, err)
	}
	defer rows.Close()

	n := len(q.columns)
	raw := make([]sql.RawBytes, n+1)
	dest := make([]any, n+1)
	for i := range raw {
		dest[i] = &raw[i]
	}
	values := make([][]byte, n)
	page := payload.Page{Body: append(reuse.Body[:0], '['), Keys: reuse.Keys[:0]}
	var last [32]byte // the watch column of the row just read, kept past the next Scan
	lastLen := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return payload.Page{}, fmt.Errorf("read %s page: %w", q.table, err)
		}
		for i := range values {
			values[i] = raw[i]
		}
		if page.Count > 0 {
			page.Body = append(page.Body, ',')
		}
		page.Body = q.object.Append(page.Body, values)
		page.Keys = append(page.Keys, parseKey(raw[0]))
		page.Count++
		lastLen = copy(last[:], raw[n])
	}
	if err := rows.Err(); err != nil {
		return payload.Page{}, fmt.Errorf("read %s page: %w", q.table, err)
	}
	page.Body = append(page.Body, ']')
	page.Last = string(last[:lastLen])
	return page, nil
}

// parseKey reads a primary key from its decimal text; 0 if it is not one.
func parseKey(v []byte) int64 {
	var k int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0
		}
		k = k*10 + int64(c-'0')
	}
	return k
}

// PollableSubscriptions returns the database-event subscriptions of every customer key that have not
// expired by the database's NOW(). With dueOnly, only those due by the database clock:
// NOW() >= DateTimeStart + PollingSeconds. Workstation filtering is the caller's.
func (db *DB) PollableSubscriptions(ctx context.Context, dueOnly bool) ([]subscriptions.Subscription, error) {
	where := "WHERE WatchTable <> '' AND (DateTimeStop = '0001-01-01 00:00:00' OR DateTimeStop >= NOW())"
	if dueOnly {
		where += " AND DATE_ADD(DateTimeStart, INTERVAL PollingSeconds SECOND) <= NOW()"
	}
	subs, err := db.querySubscriptions(ctx, where)
	if err != nil {
		return nil, fmt.Errorf("pollable: %w", err)
	}
	return subs, nil
}

// AdvanceCursor sets a subscription's DateTimeStart to to, after every page of its window was
// delivered. It changes nothing if DateTimeStart is no longer from (a caller PUT a new value while the
// poll ran), so a user's change is not overwritten; it reports whether it moved the cursor.
func (db *DB) AdvanceCursor(ctx context.Context, num int64, from, to time.Time) (bool, error) {
	if to.Equal(from) {
		return true, nil // MySQL would report 0 rows changed
	}
	res, err := db.db.ExecContext(ctx,
		"UPDATE apisubscription SET DateTimeStart = ? WHERE ApiSubscriptionNum = ? AND DateTimeStart = ?",
		dbTime(to), num, dbTime(from))
	if err != nil {
		return false, fmt.Errorf("advance cursor of subscription %d: %w", num, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("advance cursor of subscription %d: %w", num, err)
	}
	return n > 0, nil
}

// AdvanceCursors sets DateTimeStart to to for each of the subscriptions nums whose DateTimeStart is
// still from, in one statement: the cursors of many subscriptions whose windows were empty.
func (db *DB) AdvanceCursors(ctx context.Context, nums []int64, from, to time.Time) error {
	if len(nums) == 0 || to.Equal(from) {
		return nil
	}
	args := make([]any, 0, len(nums)+2)
	args = append(args, dbTime(to), dbTime(from))
	for _, n := range nums {
		args = append(args, n)
	}
	q := "UPDATE apisubscription SET DateTimeStart = ? WHERE DateTimeStart = ? AND ApiSubscriptionNum IN (?" +
		strings.Repeat(", ?", len(nums)-1) + ")"
	if _, err := db.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("advance cursors of %d subscriptions: %w", len(nums), err)
	}
	return nil
}
