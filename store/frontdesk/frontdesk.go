// Package frontdesk writes Open Dental rows the way Open Dental's own windows write them: adding and
// editing patients and their patient fields, booking an appointment and taking it through the day
// (confirmed, arrived, seated, dismissed, completed, broken, rescheduled, sent to the unscheduled list,
// deleted with its history row), editing providers, operatories and schedules, and merging two patients.
//
// Every operation is one database transaction that first reads and checks what it needs (the rows it
// refers to exist, names resolve, the appointment is in a state the action applies to) and only then
// writes, so a refused operation (a *RefusedError) has written nothing, on any engine. Inserts write
// full rows with Open Dental's "empty" values ("" and 0, 0001-01-01 dates) because Open Dental's CRUD
// layer writes every column; updates write only the columns whose value changes, as Open Dental does, so
// that re-saving a value leaves the change-tracking timestamp, and therefore the event stream, alone.
// DateTStamp and SecDateTEdit are never written: MySQL stamps them.
//
// Scenarios (package scenario) and the synthetic front desk (odsim simulate) drive these operations;
// odsim's poller then finds the changed rows exactly as it would find rows written by Open Dental.
package frontdesk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultUserNum is the userod row recorded as the user who makes the changes (SecUserNumEntry,
// HistUserNum): Open Dental's built-in Admin user.
const DefaultUserNum = 1

// Desk performs front-desk operations on one Open Dental database. It is safe for concurrent use.
type Desk struct {
	db   *sql.DB
	user int64
}

// New returns a Desk writing to db as Open Dental's Admin user.
func New(db *sql.DB) *Desk { return &Desk{db: db, user: DefaultUserNum} }

// Assign sets one column. Value is an int, int64, bool, float64, string, time.Time or DefName; enum
// columns take their integer (see Column.EnumValue).
type Assign struct {
	Column string
	Value  any
}

// Set is the columns an operation writes, in the order given.
type Set []Assign

// Get returns the value assigned to column (case-insensitive) and whether there is one.
func (s Set) Get(column string) (any, bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if strings.EqualFold(s[i].Column, column) {
			return s[i].Value, true
		}
	}
	return nil, false
}

// DefName is a definition given by name: its ItemName or ItemValue (case-insensitive) within the
// category of the column it is assigned to, as a user picks it from a list in Open Dental.
type DefName string

// RefusedError is an operation Open Dental would not perform (a row that does not exist, a value it does
// not accept, an appointment in the wrong state). Nothing was written.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

func refuse(format string, args ...any) error {
	return &RefusedError{Reason: fmt.Sprintf(format, args...)}
}

// IsRefused reports whether err is a refusal rather than a database failure.
func IsRefused(err error) bool {
	var r *RefusedError
	return errors.As(err, &r)
}

// sqlExpr is a value written as SQL text instead of a bound parameter, for NOW() and CURDATE(): the
// entry-time columns Open Dental fills from the database clock.
type sqlExpr string

// querier is what the operations need from a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inTx runs fn in one transaction, committed only when fn succeeds.
func (d *Desk) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// value is one normalized column value ready to bind.
type value struct {
	col *Column
	v   any // int64, float64, string or sqlExpr
}

// normalize checks a Set against table t and converts each value to what the column stores: unknown
// columns, timestamps, malformed dates, unknown enum or definition names and references to rows that do
// not exist are refused. The primary key may be set only when allowKey (an insert with a chosen number).
func normalize(ctx context.Context, q querier, t *Table, set Set, allowKey bool) ([]value, error) {
	out := make([]value, 0, len(set))
	for _, a := range set {
		c, ok := t.Column(a.Column)
		if !ok {
			return nil, refuse("%s has no column %s", t.Name, a.Column)
		}
		if c.Kind == Stamp {
			return nil, refuse("%s.%s is a timestamp only MySQL sets", t.Name, c.Name)
		}
		if c.PrimaryKey && !allowKey {
			return nil, refuse("%s.%s is the primary key and cannot change", t.Name, c.Name)
		}
		v, err := convert(ctx, q, t, c, a.Value)
		if err != nil {
			return nil, err
		}
		if err := checkRef(ctx, q, t, c, v); err != nil {
			return nil, err
		}
		replaced := false
		for i := range out {
			if out[i].col == c {
				out[i].v, replaced = v, true
			}
		}
		if !replaced {
			out = append(out, value{c, v})
		}
	}
	return out, nil
}

func convert(ctx context.Context, q querier, t *Table, c *Column, v any) (any, error) {
	bad := func() error { return refuse("%s.%s: %v (%T) is not a %s", t.Name, c.Name, v, v, c.Kind) }
	switch c.Kind {
	case Int:
		switch x := v.(type) {
		case int:
			return int64(x), nil
		case int64:
			return x, nil
		case bool:
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		case DefName:
			if c.DefCategory == 0 {
				return nil, refuse("%s.%s does not hold a definition; give a number", t.Name, c.Name)
			}
			num, err := defNum(ctx, q, c.DefCategory, string(x))
			if err != nil {
				return nil, err
			}
			if num == 0 {
				return nil, refuse("%s.%s: no definition named %q in category %d", t.Name, c.Name, string(x), c.DefCategory)
			}
			return num, nil
		case string:
			if c.Enum != nil {
				n, err := c.EnumValue(x)
				if err != nil {
					return nil, refuse("%s.%v", t.Name, err)
				}
				return int64(n), nil
			}
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return nil, bad()
			}
			return n, nil
		}
	case Float:
		switch x := v.(type) {
		case float64:
			return x, nil
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		}
	case Text:
		switch x := v.(type) {
		case string:
			return x, nil
		case int, int64, float64:
			return fmt.Sprint(x), nil
		}
	case Date, DateTime, Time:
		layout := map[Kind]string{Date: time.DateOnly, DateTime: time.DateTime, Time: time.TimeOnly}[c.Kind]
		switch x := v.(type) {
		case time.Time:
			return x.Format(layout), nil
		case string:
			if _, err := time.Parse(layout, x); err != nil {
				return nil, refuse("%s.%s: %q is not a %s (%s)", t.Name, c.Name, x, c.Kind, layout)
			}
			return x, nil
		}
	}
	return nil, bad()
}

// checkRef refuses a foreign key or definition number that names no row. Zero means "none" in Open
// Dental and is always allowed.
func checkRef(ctx context.Context, q querier, t *Table, c *Column, v any) error {
	n, ok := v.(int64)
	if !ok || n == 0 {
		return nil
	}
	switch {
	case c.Ref != "":
		found, err := exists(ctx, q, c.Ref, n)
		if err != nil {
			return err
		}
		if !found {
			return refuse("%s.%s: %s %d does not exist", t.Name, c.Name, c.Ref, n)
		}
	case c.DefCategory != 0:
		var cat int
		err := q.QueryRowContext(ctx, "SELECT Category FROM definition WHERE DefNum = ?", n).Scan(&cat)
		if errors.Is(err, sql.ErrNoRows) {
			return refuse("%s.%s: definition %d does not exist", t.Name, c.Name, n)
		}
		if err != nil {
			return fmt.Errorf("read definition %d: %w", n, err)
		}
		if cat != c.DefCategory {
			return refuse("%s.%s: definition %d is in category %d, not %d", t.Name, c.Name, n, cat, c.DefCategory)
		}
	}
	return nil
}

// exists reports whether table has a row with primary key num.
func exists(ctx context.Context, q querier, table string, num int64) (bool, error) {
	t := mustTable(table)
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM `"+t.Name+"` WHERE `"+t.Key().Name+"` = ?", num).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up %s %d: %w", table, num, err)
	}
	return true, nil
}

// mustExist refuses when table has no row num.
func mustExist(ctx context.Context, q querier, table string, num int64) error {
	ok, err := exists(ctx, q, table, num)
	if err != nil {
		return err
	}
	if !ok {
		return refuse("%s %d does not exist", table, num)
	}
	return nil
}

// defNum finds a definition of category cat by ItemName or ItemValue, visible ones first; 0 when none.
func defNum(ctx context.Context, q querier, cat int, name string) (int64, error) {
	var num int64
	err := q.QueryRowContext(ctx,
		"SELECT DefNum FROM definition WHERE Category = ? AND (LOWER(ItemName) = LOWER(?) OR LOWER(ItemValue) = LOWER(?))"+
			" ORDER BY IsHidden, ItemOrder, DefNum LIMIT 1", cat, name, name).Scan(&num)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("look up definition %q: %w", name, err)
	}
	return num, nil
}

// firstDef is the first visible definition of a category, as Open Dental preselects it; 0 when none.
func firstDef(ctx context.Context, q querier, cat int) (int64, error) {
	var num int64
	err := q.QueryRowContext(ctx,
		"SELECT DefNum FROM definition WHERE Category = ? AND IsHidden = 0 ORDER BY ItemOrder, DefNum LIMIT 1", cat).Scan(&num)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("look up definitions of category %d: %w", cat, err)
	}
	return num, nil
}

// has reports whether vals sets column name.
func has(vals []value, name string) bool {
	for _, v := range vals {
		if strings.EqualFold(v.col.Name, name) {
			return true
		}
	}
	return false
}

// get returns the value vals sets for column name.
func get(vals []value, name string) (any, bool) {
	for _, v := range vals {
		if strings.EqualFold(v.col.Name, name) {
			return v.v, true
		}
	}
	return nil, false
}

// withDefault appends column name = v to vals unless vals sets it already.
func withDefault(t *Table, vals []value, name string, v any) []value {
	if has(vals, name) {
		return vals
	}
	c, ok := t.Column(name)
	if !ok {
		panic("frontdesk: no column " + t.Name + "." + name)
	}
	return append(vals, value{c, v})
}

// insertRow inserts one full row into t: every column but the timestamps, each from vals or else its
// empty value. It returns the new row's primary key.
func insertRow(ctx context.Context, q querier, t *Table, vals []value) (int64, error) {
	cols, marks, args := rowParts(t, vals)
	res, err := q.ExecContext(ctx, "INSERT INTO `"+t.Name+"` ("+cols+") VALUES ("+marks+")", args...)
	if err != nil {
		return 0, fmt.Errorf("insert %s: %w", t.Name, err)
	}
	if v, ok := get(vals, t.Key().Name); ok {
		return v.(int64), nil
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("insert %s: %w", t.Name, err)
	}
	return id, nil
}

// rowParts returns the column list, the placeholders and the arguments of one full row of t.
func rowParts(t *Table, vals []value) (cols, marks string, args []any) {
	var cb, mb strings.Builder
	for i := range t.Columns {
		c := &t.Columns[i]
		if c.Kind == Stamp {
			continue
		}
		v, set := get(vals, c.Name)
		if c.PrimaryKey && !set {
			continue
		}
		if !set {
			v = c.zero()
		}
		if cb.Len() > 0 {
			cb.WriteByte(',')
			mb.WriteByte(',')
		}
		cb.WriteString("`" + c.Name + "`")
		if e, ok := v.(sqlExpr); ok {
			mb.WriteString(string(e))
			continue
		}
		mb.WriteByte('?')
		args = append(args, v)
	}
	return cb.String(), mb.String(), args
}

// updateRow writes to row num of t the values of vals that differ from what the row holds, and returns
// the names of the columns it changed (none: nothing written, no timestamp bumped, no event). A NULL
// string counts as "", as it does in Open Dental.
func updateRow(ctx context.Context, q querier, t *Table, num int64, vals []value) ([]string, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	names := make([]string, len(vals))
	for i, v := range vals {
		names[i] = "`" + v.col.Name + "`"
	}
	cur := make([]sql.NullString, len(vals))
	dest := make([]any, len(vals))
	for i := range cur {
		dest[i] = &cur[i]
	}
	err := q.QueryRowContext(ctx, "SELECT "+strings.Join(names, ",")+" FROM `"+t.Name+"` WHERE `"+t.Key().Name+"` = ?", num).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, refuse("%s %d does not exist", t.Name, num)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %d: %w", t.Name, num, err)
	}
	var sets []string
	var args []any
	var changed []string
	for i, v := range vals {
		if same(v, cur[i].String) {
			continue
		}
		if e, ok := v.v.(sqlExpr); ok {
			sets = append(sets, names[i]+" = "+string(e))
		} else {
			sets = append(sets, names[i]+" = ?")
			args = append(args, v.v)
		}
		changed = append(changed, v.col.Name)
	}
	if len(sets) == 0 {
		return nil, nil
	}
	args = append(args, num)
	if _, err := q.ExecContext(ctx, "UPDATE `"+t.Name+"` SET "+strings.Join(sets, ", ")+" WHERE `"+t.Key().Name+"` = ?", args...); err != nil {
		return nil, fmt.Errorf("update %s %d: %w", t.Name, num, err)
	}
	return changed, nil
}

// same reports whether the stored text cur already equals the value to write.
func same(v value, cur string) bool {
	switch x := v.v.(type) {
	case sqlExpr:
		return false
	case int64:
		n, err := strconv.ParseInt(cur, 10, 64)
		return err == nil && n == x
	case float64:
		f, err := strconv.ParseFloat(cur, 64)
		return err == nil && f == x
	case string:
		switch v.col.Kind {
		case DateTime:
			return len(cur) >= 19 && cur[:19] == x
		case Date:
			return len(cur) >= 10 && cur[:10] == x
		}
		return cur == x
	}
	return false
}

// readInt reads one integer column of row num.
func readInt(ctx context.Context, q querier, table, column string, num int64) (int64, error) {
	t := mustTable(table)
	var v int64
	err := q.QueryRowContext(ctx, "SELECT `"+column+"` FROM `"+t.Name+"` WHERE `"+t.Key().Name+"` = ?", num).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, refuse("%s %d does not exist", table, num)
	}
	if err != nil {
		return 0, fmt.Errorf("read %s %d: %w", table, num, err)
	}
	return v, nil
}

// Exec runs raw SQL statements in one transaction: the scenario escape hatch for anything the operations
// do not cover. It returns the rows affected by all statements. On MyISAM tables (Open Dental's engine)
// MySQL cannot roll back statements that already ran when a later one fails.
func (d *Desk) Exec(ctx context.Context, statements []string) (int64, error) {
	var total int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		for i, s := range statements {
			res, err := tx.ExecContext(ctx, s)
			if err != nil {
				if len(statements) == 1 {
					return fmt.Errorf("sql: %w", err)
				}
				return fmt.Errorf("sql statement %d: %w", i+1, err)
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	return total, err
}
