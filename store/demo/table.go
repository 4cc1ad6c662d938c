package demo

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// col is one column's value in a row under construction. Rows are written as (column, value) pairs so
// that a value always sits next to its column's name, which matters for 80-column tables like patient.
type col struct {
	name string
	val  any
}

// table holds the demo rows of one Open Dental table. The first row fixes the column list; every row
// names every column except the ones MySQL stamps (DateTStamp, SecDateTEdit), so that no column is left
// to its default: with sql_mode=” an omitted datetime would read 0000-00-00 instead of Open Dental's
// 0001-01-01.
type table struct {
	name string
	cols []string
	rows [][]any
	err  error
}

// add appends a row. A row whose columns differ from the first row's is a mistake in the demo's code;
// the first such mistake is kept and reported by dataset.check.
func (t *table) add(row ...col) {
	if t.err != nil {
		return
	}
	if t.cols == nil {
		for _, c := range row {
			t.cols = append(t.cols, c.name)
		}
	}
	if len(row) != len(t.cols) {
		t.err = fmt.Errorf("demo table %s row %d: %d columns, want %d", t.name, len(t.rows)+1, len(row), len(t.cols))
		return
	}
	vals := make([]any, len(row))
	for i, c := range row {
		if c.name != t.cols[i] {
			t.err = fmt.Errorf("demo table %s row %d: column %d is %s, want %s", t.name, len(t.rows)+1, i, c.name, t.cols[i])
			return
		}
		vals[i] = c.val
	}
	t.rows = append(t.rows, vals)
}

// dataset is the whole demo practice, table by table in load order (referenced rows first).
type dataset struct {
	tables []*table
}

// table returns the dataset's table called name, creating it at the end of the load order.
func (d *dataset) table(name string) *table {
	for _, t := range d.tables {
		if t.name == name {
			return t
		}
	}
	t := &table{name: name}
	d.tables = append(d.tables, t)
	return t
}

// check reports the first malformed row of any table.
func (d *dataset) check() error {
	for _, t := range d.tables {
		if t.err != nil {
			return t.err
		}
	}
	return nil
}

// maxParams bounds the placeholders of one INSERT, well under MySQL's limit of 65,535, so that each
// statement stays a moderate size for the embedded engine as well.
const maxParams = 8000

// execer is what insert needs from a *sql.Tx or *sql.Conn.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// changeStamps are the change-tracking columns of the demo's tables: the ones MySQL stamps with
// CURRENT_TIMESTAMP, which the poller's windows compare.
var changeStamps = map[string]string{
	"provider": "DateTStamp", "operatory": "DateTStamp", "patient": "DateTStamp", "patfield": "SecDateTEdit",
	"schedule": "DateTStamp", "appointment": "DateTStamp", "toothinitial": "SecDateTEdit",
}

// insert writes t's rows with multi-row INSERT statements and bound parameters, with stamp in the
// table's change-tracking column, if it has one.
func insert(ctx context.Context, db execer, t *table, stamp string) error {
	if len(t.rows) == 0 {
		return nil
	}
	var head strings.Builder
	head.WriteString("INSERT INTO `" + t.name + "` (")
	for i, c := range t.cols {
		if i > 0 {
			head.WriteByte(',')
		}
		head.WriteString("`" + c + "`")
	}
	n := len(t.cols)
	col, stamped := changeStamps[t.name]
	if stamped {
		head.WriteString(",`" + col + "`")
		n++
	}
	head.WriteString(") VALUES ")
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"

	per := max(1, maxParams/n)
	for start := 0; start < len(t.rows); start += per {
		end := min(start+per, len(t.rows))
		var q strings.Builder
		q.WriteString(head.String())
		args := make([]any, 0, (end-start)*n)
		for i, row := range t.rows[start:end] {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(tuple)
			args = append(args, row...)
			if stamped {
				args = append(args, stamp)
			}
		}
		if _, err := db.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("insert %s rows %d-%d: %w", t.name, start+1, end, err)
		}
	}
	return nil
}
