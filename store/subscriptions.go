package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/odsim/odsim/subscriptions"
)

// apiSubscriptionColumns lists apisubscription's columns in the order scanSubscription reads them.
const apiSubscriptionColumns = "ApiSubscriptionNum, EndPointUrl, Workstation, CustomerKey, WatchTable, PollingSeconds, " +
	"UiEventType, DateTimeStart, DateTimeStop, Note"

// byCustomerKey compares CustomerKey byte for byte. The column's collation ignores letter case and
// trailing spaces, and odsim accepts any well-formed key, so a plain = would let key "abc" read the rows
// of key "ABC": customer keys are tenants.
const byCustomerKey = "CustomerKey = BINARY ?"

// errSubscriptionNotFound is what every method answers for a number that is unknown or belongs to
// another customer key: the two must look the same to the caller.
func errSubscriptionNotFound() error {
	return subscriptions.Errorf(subscriptions.NotFound, "Subscription not found.")
}

// CreateSubscription inserts s and returns the stored row with its new Num. A zero DateTimeStart
// becomes the database server's NOW() in the same INSERT, so the host clock never decides when polling
// starts.
func (db *DB) CreateSubscription(ctx context.Context, s subscriptions.Subscription) (subscriptions.Subscription, error) {
	var start any // nil: COALESCE falls through to NOW()
	if !s.DateTimeStart.IsZero() {
		start = dbTime(s.DateTimeStart)
	}
	res, err := db.db.ExecContext(ctx,
		"INSERT INTO apisubscription (EndPointUrl, Workstation, CustomerKey, WatchTable, PollingSeconds, "+
			"UiEventType, DateTimeStart, DateTimeStop, Note) VALUES (?, ?, ?, ?, ?, ?, COALESCE(?, NOW()), ?, ?)",
		s.EndPointURL, s.Workstation, s.CustomerKey, string(s.WatchTable), s.PollingSeconds,
		string(s.UiEventType), start, dbTime(s.DateTimeStop), s.Note)
	if err != nil {
		return subscriptions.Subscription{}, fmt.Errorf("insert subscription: %w", err)
	}
	num, err := res.LastInsertId()
	if err != nil {
		return subscriptions.Subscription{}, fmt.Errorf("insert subscription: read its number: %w", err)
	}
	created, err := db.GetSubscription(ctx, s.CustomerKey, num)
	if err != nil {
		return subscriptions.Subscription{}, fmt.Errorf("read created subscription %d: %w", num, err)
	}
	return created, nil
}

// ListSubscriptions returns the subscriptions of customerKey ordered by Num.
func (db *DB) ListSubscriptions(ctx context.Context, customerKey string) ([]subscriptions.Subscription, error) {
	return db.querySubscriptions(ctx, "WHERE "+byCustomerKey, customerKey)
}

// AllSubscriptions returns every customer key's subscriptions ordered by Num, for the simulator's own
// control API, which is not scoped to a tenant.
func (db *DB) AllSubscriptions(ctx context.Context) ([]subscriptions.Subscription, error) {
	return db.querySubscriptions(ctx, "")
}

// GetSubscription returns subscription num of customerKey, or an error with code NotFound when it does
// not exist or belongs to another key.
func (db *DB) GetSubscription(ctx context.Context, customerKey string, num int64) (subscriptions.Subscription, error) {
	row := db.db.QueryRowContext(ctx,
		"SELECT "+apiSubscriptionColumns+" FROM apisubscription WHERE ApiSubscriptionNum = ? AND "+byCustomerKey,
		num, customerKey)
	s, err := scanSubscription(row)
	if errors.Is(err, sql.ErrNoRows) {
		return subscriptions.Subscription{}, errSubscriptionNotFound()
	}
	if err != nil {
		return subscriptions.Subscription{}, fmt.Errorf("read subscription %d: %w", num, err)
	}
	return s, nil
}

// UpdateSubscription sets the fields u gives on subscription num of customerKey in one UPDATE, so a
// failure changes nothing, and returns the row as stored afterwards.
func (db *DB) UpdateSubscription(ctx context.Context, customerKey string, num int64, u subscriptions.Update) (subscriptions.Subscription, error) {
	var sets []string
	var args []any
	set := func(column string, v any) {
		sets = append(sets, column+" = ?")
		args = append(args, v)
	}
	if u.EndPointURL != nil {
		set("EndPointUrl", *u.EndPointURL)
	}
	if u.Workstation != nil {
		set("Workstation", *u.Workstation)
	}
	if u.PollingSeconds != nil {
		set("PollingSeconds", *u.PollingSeconds)
	}
	if u.DateTimeStart != nil {
		set("DateTimeStart", dbTime(*u.DateTimeStart))
	}
	if u.DateTimeStop != nil {
		set("DateTimeStop", dbTime(*u.DateTimeStop))
	}
	if u.Note != nil {
		set("Note", *u.Note)
	}
	if len(sets) > 0 {
		// MySQL reports changed rows, not matched ones, so the affected count cannot tell "not found"
		// from "no change": the read below does.
		args = append(args, num, customerKey)
		_, err := db.db.ExecContext(ctx,
			"UPDATE apisubscription SET "+strings.Join(sets, ", ")+" WHERE ApiSubscriptionNum = ? AND "+byCustomerKey,
			args...)
		if err != nil {
			return subscriptions.Subscription{}, fmt.Errorf("update subscription %d: %w", num, err)
		}
	}
	return db.GetSubscription(ctx, customerKey, num)
}

// DeleteSubscription deletes subscription num of customerKey, or answers NotFound.
func (db *DB) DeleteSubscription(ctx context.Context, customerKey string, num int64) error {
	res, err := db.db.ExecContext(ctx,
		"DELETE FROM apisubscription WHERE ApiSubscriptionNum = ? AND "+byCustomerKey, num, customerKey)
	if err != nil {
		return fmt.Errorf("delete subscription %d: %w", num, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete subscription %d: %w", num, err)
	}
	if n == 0 {
		return errSubscriptionNotFound()
	}
	return nil
}

// duplicateOf is Open Dental's ApiSubscriptions.IsExistingSubscription as a condition on apisubscription
// rows, with five parameters: CustomerKey, EndPointUrl, Workstation, WatchTable, UiEventType. A row is a
// duplicate when it belongs to the same customer key, has the same EndPointUrl byte for byte (the
// column's collation would make /A a duplicate of /a), the same Workstation, WatchTable and UiEventType
// by the columns' own collation, as Open Dental compares them, and has not expired: expiry is judged by
// the database's date, at date granularity, as Open Dental's query does.
const duplicateOf = byCustomerKey + " AND EndPointUrl = BINARY ? AND Workstation = ? AND WatchTable = ? AND UiEventType = ?" +
	" AND (DateTimeStop = '0001-01-01 00:00:00' OR DATE(NOW()) <= DateTimeStop)"

func duplicateArgs(s subscriptions.Subscription) []any {
	return []any{s.CustomerKey, s.EndPointURL, s.Workstation, string(s.WatchTable), string(s.UiEventType)}
}

// FindDuplicateSubscription is Open Dental's ApiSubscriptions.IsExistingSubscription (see duplicateOf):
// it returns the lowest Num of an unexpired subscription s would duplicate.
func (db *DB) FindDuplicateSubscription(ctx context.Context, s subscriptions.Subscription) (num int64, found bool, err error) {
	err = db.db.QueryRowContext(ctx,
		"SELECT ApiSubscriptionNum FROM apisubscription WHERE "+duplicateOf+" ORDER BY ApiSubscriptionNum LIMIT 1",
		duplicateArgs(s)...).Scan(&num)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("look for duplicate subscription: %w", err)
	}
	return num, true, nil
}

// CreateSubscriptionUnlessExists inserts s unless an unexpired subscription it would duplicate exists
// (see duplicateOf); then it returns that one with existing true and writes nothing. The check and the
// insert are one statement, INSERT ... SELECT ... WHERE NOT EXISTS, so that requests racing each other
// cannot both insert: MyISAM (Open Dental's engine) locks the table for the statement, and InnoDB's
// locks on the rows read make one of two racing statements wait or fail with a deadlock, which is tried
// again.
func (db *DB) CreateSubscriptionUnlessExists(ctx context.Context, s subscriptions.Subscription) (sub subscriptions.Subscription, existing bool, err error) {
	var start any // nil: COALESCE falls through to NOW()
	if !s.DateTimeStart.IsZero() {
		start = dbTime(s.DateTimeStart)
	}
	args := append([]any{s.EndPointURL, s.Workstation, s.CustomerKey, string(s.WatchTable), s.PollingSeconds,
		string(s.UiEventType), start, dbTime(s.DateTimeStop), s.Note}, duplicateArgs(s)...)
	for attempt := 1; ; attempt++ {
		res, err := db.db.ExecContext(ctx,
			"INSERT INTO apisubscription (EndPointUrl, Workstation, CustomerKey, WatchTable, PollingSeconds, "+
				"UiEventType, DateTimeStart, DateTimeStop, Note) SELECT ?, ?, ?, ?, ?, ?, COALESCE(?, NOW()), ?, ? FROM DUAL "+
				"WHERE NOT EXISTS (SELECT 1 FROM apisubscription WHERE "+duplicateOf+")", args...)
		if isDeadlock(err) && attempt < 5 {
			continue
		}
		if err != nil {
			return subscriptions.Subscription{}, false, fmt.Errorf("insert subscription: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return subscriptions.Subscription{}, false, fmt.Errorf("insert subscription: %w", err)
		}
		if n == 1 {
			num, err := res.LastInsertId()
			if err != nil {
				return subscriptions.Subscription{}, false, fmt.Errorf("insert subscription: read its number: %w", err)
			}
			created, err := db.GetSubscription(ctx, s.CustomerKey, num)
			if err != nil {
				return subscriptions.Subscription{}, false, fmt.Errorf("read created subscription %d: %w", num, err)
			}
			return created, false, nil
		}
		num, found, err := db.FindDuplicateSubscription(ctx, s)
		if err != nil {
			return subscriptions.Subscription{}, false, err
		}
		if found {
			dup, err := db.GetSubscription(ctx, s.CustomerKey, num)
			return dup, true, err
		}
		// The duplicate was deleted (or expired) between the two statements: try again.
		if attempt >= 5 {
			return subscriptions.Subscription{}, false, errors.New("insert subscription: a duplicate kept appearing and disappearing")
		}
	}
}

// isDeadlock reports whether err is InnoDB's deadlock (1213) or lock wait timeout (1205), after which
// the statement can be tried again.
func isDeadlock(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// querySubscriptions reads the subscriptions matching where (a fixed clause from this file) by Num.
func (db *DB) querySubscriptions(ctx context.Context, where string, args ...any) ([]subscriptions.Subscription, error) {
	rows, err := db.db.QueryContext(ctx,
		"SELECT "+apiSubscriptionColumns+" FROM apisubscription "+where+" ORDER BY ApiSubscriptionNum", args...)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	defer rows.Close()
	var out []subscriptions.Subscription
	for rows.Next() {
		s, err := scanSubscription(rows)
		if err != nil {
			return nil, fmt.Errorf("list subscriptions: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	return out, nil
}

// scanSubscription reads one row of apiSubscriptionColumns. Dates arrive as text (the DSN does not parse
// times) and become wall-clock times in UTC.
func scanSubscription(row interface{ Scan(...any) error }) (subscriptions.Subscription, error) {
	var (
		s           subscriptions.Subscription
		watch, ui   string
		start, stop string
		polling     int64
	)
	err := row.Scan(&s.Num, &s.EndPointURL, &s.Workstation, &s.CustomerKey, &watch, &polling, &ui,
		&start, &stop, &s.Note)
	if err != nil {
		return subscriptions.Subscription{}, err
	}
	s.WatchTable = subscriptions.WatchTable(watch)
	s.UiEventType = subscriptions.UiEventType(ui)
	s.PollingSeconds = int(polling)
	if s.DateTimeStart, err = ParseDateTime(start); err != nil {
		return subscriptions.Subscription{}, fmt.Errorf("subscription %d DateTimeStart: %w", s.Num, err)
	}
	if s.DateTimeStop, err = ParseDateTime(stop); err != nil {
		return subscriptions.Subscription{}, fmt.Errorf("subscription %d DateTimeStop: %w", s.Num, err)
	}
	return s, nil
}
