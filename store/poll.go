package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/odsim/odsim/payload"
	"github.com/odsim/odsim/subscriptions"
)

// windowQuery is the prepared form of one watched table: its SELECT text and its payload encoder.
type windowQuery struct {
	watched
	object *payload.Object
	sql    string
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
		where := w.watch + " >= ? AND " + w.watch + " < ?"
		if w.filter != "" {
			where += " AND " + w.filter
		}
		// The primary key (the first column) breaks ties in the second-precision watch column, so
		// that pages split a window the same way every time.
		m[w.table] = &windowQuery{
			watched: w,
			object:  payload.NewObject(fields),
			sql: "SELECT " + strings.Join(exprs, ", ") + " FROM " + w.from + " WHERE " + where +
				" ORDER BY " + w.watch + ", " + w.columns[0].expr + " LIMIT ?, ?",
		}
	}
	return m
}

// PayloadFields returns the ordered payload fields of a WatchTable's elements.
func PayloadFields(t subscriptions.WatchTable) []payload.Field {
	q, ok := windowQueries[t]
	if !ok {
		return nil
	}
	return q.object.Fields()
}

// ReadPage reads one page of a subscription's window: the rows of table t whose watch column is in
// [start, stop), ordered by it, skipping offset rows and returning at most limit, encoded as the JSON
// array Open Dental POSTs. buf is reused for the body when large enough.
func (db *DB) ReadPage(ctx context.Context, t subscriptions.WatchTable, start, stop time.Time, offset, limit int, buf []byte) (payload.Page, error) {
	q, ok := windowQueries[t]
	if !ok {
		return payload.Page{}, fmt.Errorf("read %s page: unknown WatchTable", t)
	}
	rows, err := db.db.QueryContext(ctx, q.sql, dbTime(start), dbTime(stop), offset, limit)
	if err != nil {
		return payload.Page{}, fmt.Errorf("read %s page: %w", t, err)
	}
	defer rows.Close()

	n := len(q.columns)
	raw := make([]sql.RawBytes, n+1)
	dest := make([]any, n+1)
	for i := range raw {
		dest[i] = &raw[i]
	}
	values := make([][]byte, n)
	page := payload.Page{Body: append(buf[:0], '[')}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return payload.Page{}, fmt.Errorf("read %s page: %w", t, err)
		}
		for i := range values {
			values[i] = raw[i]
		}
		if page.Count > 0 {
			page.Body = append(page.Body, ',')
		}
		page.Body = q.object.Append(page.Body, values)
		key, _ := strconv.ParseInt(string(raw[0]), 10, 64)
		page.Keys = append(page.Keys, key)
		page.Count++
		page.Last = string(raw[n])
	}
	if err := rows.Err(); err != nil {
		return payload.Page{}, fmt.Errorf("read %s page: %w", t, err)
	}
	page.Body = append(page.Body, ']')
	return page, nil
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
