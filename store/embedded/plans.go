package embedded

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// execBuilder wraps the engine's plan-to-iterator builder to adjust three behaviours of
// go-mysql-server v0.20.0 in which it differs from MariaDB running Open Dental's schema. The plan of
// every statement passes through Build just before it runs. (Analyzer rules cannot do this: the engine
// analyzes simple INSERTs, UPDATEs and DELETEs with fixed rule lists that custom rules never join.)
//
//   - ON UPDATE CURRENT_TIMESTAMP: go-mysql-server appends `SET col = CURRENT_TIMESTAMP` to every UPDATE
//     of a table with such a column, so an UPDATE that writes the values a row already holds still bumps
//     DateTStamp (and reports the row as changed). Open Dental fires no event for such an UPDATE and
//     odsim's poller watches DateTStamp, so the engine would invent events. guardUpdateSource regroups a
//     single-table UPDATE's assignments under changeGuard, which applies the automatic timestamp only
//     when the statement's own assignments changed the row. A column the statement sets explicitly gets
//     no automatic assignment, so `SET DateTStamp = NOW()` still "touches" a row, as in MySQL.
//     UPDATE IGNORE and multi-table UPDATE ... JOIN keep go-mysql-server's behaviour (always bump).
//   - CREATE TABLE builds no plain secondary indexes (withoutSecondaryIndexes).
//   - Without a strict sql_mode (Open Dental's empty sql_mode), values written by INSERT and UPDATE follow
//     MySQL's non-strict rules instead of failing (lenientWrites, lenient.go).
type execBuilder struct {
	next sql.NodeExecBuilder
}

func (b execBuilder) Build(ctx *sql.Context, n sql.Node, r sql.Row) (sql.RowIter, error) {
	if ct, ok := n.(*plan.CreateTable); ok {
		n = withoutSecondaryIndexes(ct)
	}
	if !strictMode(ctx) {
		var err error
		if n, _, err = transform.Node(n, lenientWrites); err != nil {
			return nil, fmt.Errorf("non-strict writes: %w", err)
		}
	}
	n, _, err := transform.Node(n, guardUpdateSource)
	if err != nil {
		return nil, fmt.Errorf("guard on update columns: %w", err)
	}
	return b.next.Build(ctx, n, r)
}

// withoutSecondaryIndexes drops a new table's plain (non-unique) secondary indexes, keeping the primary
// key and unique, full-text and spatial ones.
//
// go-mysql-server's in-memory tables keep every index as a sorted slice and, after each write statement,
// re-sort the rows with a swap that rewrites the row locations in every index: a primary-key UPDATE
// costs O(rows² × indexes). Open Dental's appointment table has 16 secondary indexes; with them a
// single UPDATE took about 10 ms at 300 appointments and more than a second at 3,000 (bench/embedded).
// Without them it takes under half a millisecond at 300 and about 4 ms at 3,000. Reads lose little: an
// equality lookup on an in-memory index scans the whole table anyway. A range on an indexed column is
// faster (a poll window with no changes took 3 ms instead of 10-18 ms at 3,000 appointments with the
// DateTStamp key kept), but keeping that one key made the UPDATE ten times slower again. Plain indexes
// change no result, only speed.
func withoutSecondaryIndexes(ct *plan.CreateTable) sql.Node {
	var keep sql.IndexDefs
	for _, def := range ct.Indexes() {
		if def.Constraint != sql.IndexConstraint_None {
			keep = append(keep, def)
		}
	}
	if len(keep) == len(ct.Indexes()) {
		return ct
	}
	nc, err := ct.WithIndexDefs(keep)
	if err != nil {
		return ct
	}
	return nc
}

func guardUpdateSource(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	us, ok := n.(*plan.UpdateSource)
	if !ok || us.Ignore || hasJoin(us.Child) {
		return n, transform.SameTree, nil
	}
	schema, err := us.GetChildSchema()
	if err != nil {
		// Not an update of one plain table: leave the plan as go-mysql-server built it.
		return n, transform.SameTree, nil
	}
	var assigned, automatic []sql.Expression
	for _, e := range us.UpdateExprs {
		if _, done := e.(*changeGuard); done {
			return n, transform.SameTree, nil
		}
		if isAutomaticOnUpdate(e, schema) {
			automatic = append(automatic, e)
		} else {
			assigned = append(assigned, e)
		}
	}
	if len(automatic) == 0 || len(assigned) == 0 {
		return n, transform.SameTree, nil
	}
	guard := &changeGuard{assigned: assigned, automatic: automatic, schema: schema}
	return plan.NewUpdateSource(us.Child, us.Ignore, []sql.Expression{guard}), transform.NewTree, nil
}

// isAutomaticOnUpdate reports whether e is an assignment the planner added for an ON UPDATE column:
// a SetField whose value is the bare column default (a user's `SET col = DEFAULT` arrives wrapped).
func isAutomaticOnUpdate(e sql.Expression, schema sql.Schema) bool {
	sf, ok := e.(*expression.SetField)
	if !ok {
		return false
	}
	if _, ok := sf.RightChild.(*sql.ColumnDefaultValue); !ok {
		return false
	}
	gf, ok := sf.LeftChild.(*expression.GetField)
	if !ok {
		return false
	}
	for _, col := range schema {
		if strings.EqualFold(col.Name, gf.Name()) {
			return col.OnUpdate != nil
		}
	}
	return false
}

func hasJoin(n sql.Node) bool {
	found := false
	transform.Inspect(n, func(n sql.Node) bool {
		if _, ok := n.(*plan.JoinNode); ok {
			found = true
		}
		return !found
	})
	return found
}

// changeGuard evaluates an UPDATE's own assignments in go-mysql-server's order (plain values first,
// computed defaults second), then the automatic ON UPDATE assignments only if the row changed.
type changeGuard struct {
	assigned  []sql.Expression
	automatic []sql.Expression
	schema    sql.Schema
}

var _ sql.Expression = (*changeGuard)(nil)

func (g *changeGuard) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	old := row
	var later []sql.Expression
	for _, e := range g.assigned {
		if isComputedDefault(e) {
			later = append(later, e)
			continue
		}
		var err error
		if row, err = evalSet(ctx, e, row); err != nil {
			return nil, err
		}
	}
	for _, e := range later {
		var err error
		if row, err = evalSet(ctx, e, row); err != nil {
			return nil, err
		}
	}
	changed, err := differ(ctx, old, row, g.schema)
	if err != nil || !changed {
		return row, err
	}
	for _, e := range g.automatic {
		if row, err = evalSet(ctx, e, row); err != nil {
			return nil, err
		}
	}
	return row, nil
}

// isComputedDefault mirrors go-mysql-server's rule for deferring an assignment to its second pass.
func isComputedDefault(e sql.Expression) bool {
	sf, ok := e.(*expression.SetField)
	if !ok {
		return false
	}
	v := sf.RightChild
	if w, ok := v.(*expression.Wrapper); ok {
		v = w.Unwrap()
	}
	switch d := v.(type) {
	case *sql.ColumnDefaultValue:
		return !d.IsLiteral()
	case plan.ColDefaultExpression:
		def := d.Column.Default
		if def == nil {
			def = d.Column.Generated
		}
		return def != nil && !def.IsLiteral()
	}
	return false
}

func evalSet(ctx *sql.Context, e sql.Expression, row sql.Row) (sql.Row, error) {
	v, err := e.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	r, ok := v.(sql.Row)
	if !ok {
		return nil, fmt.Errorf("update assignment %s returned %T, not a row", e, v)
	}
	return r, nil
}

// differ reports whether two rows differ in a table column; a row may carry outer-scope values in front of
// them. Text is compared byte for byte, as MySQL compares records when it decides whether a row changed:
// the columns' case-insensitive collation would call 'abc' and 'ABC' equal.
func differ(ctx *sql.Context, a, b sql.Row, schema sql.Schema) (bool, error) {
	if len(a) != len(b) || len(a) < len(schema) {
		return true, nil
	}
	off := len(a) - len(schema)
	for i, col := range schema {
		x, y := a[off+i], b[off+i]
		if (x == nil) != (y == nil) {
			return true, nil
		}
		if x == nil {
			continue
		}
		if types.IsText(col.Type) {
			if textOf(x) != textOf(y) {
				return true, nil
			}
			continue
		}
		cmp, err := col.Type.Compare(ctx, x, y)
		if err != nil {
			return false, fmt.Errorf("compare %s: %w", col.Name, err)
		}
		if cmp != 0 {
			return true, nil
		}
	}
	return false, nil
}

// textOf returns a text column's stored value as a string without collation or conversion.
func textOf(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	}
	return fmt.Sprint(v)
}

func (g *changeGuard) Resolved() bool {
	for _, e := range g.Children() {
		if !e.Resolved() {
			return false
		}
	}
	return true
}

func (g *changeGuard) String() string {
	return fmt.Sprintf("changeGuard(%v then %v)", g.assigned, g.automatic)
}

func (g *changeGuard) Type() sql.Type { return g.assigned[0].Type() }

func (g *changeGuard) IsNullable() bool { return false }

func (g *changeGuard) Children() []sql.Expression {
	out := make([]sql.Expression, 0, len(g.assigned)+len(g.automatic))
	return append(append(out, g.assigned...), g.automatic...)
}

func (g *changeGuard) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(g.assigned)+len(g.automatic) {
		return nil, sql.ErrInvalidChildrenNumber.New(g, len(children), len(g.assigned)+len(g.automatic))
	}
	n := len(g.assigned)
	return &changeGuard{
		assigned:  append([]sql.Expression(nil), children[:n]...),
		automatic: append([]sql.Expression(nil), children[n:]...),
		schema:    g.schema,
	}, nil
}
