package embedded

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
)

// Open Dental runs MySQL/MariaDB with sql_mode='' (its maintenance tool resets it), and hand-written
// fixtures, scripts and Open Dental's own upgrade code rely on what the server does then: a NOT NULL column
// an INSERT leaves out gets its type's implicit default, an over-long string is cut, an invalid date becomes
// the zero date, a number out of range is clipped, all with a warning instead of an error.
// go-mysql-server v0.20.0 has only strict behaviour, whatever the session's sql_mode says. When the
// statement's session has no strict mode, lenientWrites rewrites INSERT, REPLACE, INSERT ... SELECT,
// ON DUPLICATE KEY UPDATE and UPDATE plans so that every value on its way into a column passes through
// lenientValue, which applies MariaDB 10.11's non-strict rules and records MariaDB's warning (SHOW WARNINGS
// lists it). With STRICT_TRANS_TABLES, STRICT_ALL_TABLES or TRADITIONAL the plan is left alone.
//
// What stays strict (MariaDB would accept it): ENUM and SET values outside the list, DECIMAL overflow, and
// the other column types Open Dental's schema does not use; those statements still fail as in strict mode.

// MySQL's warning codes for what non-strict mode accepts.
const (
	warnCannotBeNull   = 1048 // ER_BAD_NULL_ERROR: NULL into a NOT NULL column
	warnOutOfRange     = 1264 // ER_WARN_DATA_OUT_OF_RANGE
	warnDataTruncated  = 1265 // WARN_DATA_TRUNCATED
	warnNoDefault      = 1364 // ER_NO_DEFAULT_FOR_FIELD
	warnIncorrectValue = 1366 // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
)

// strictMode reports whether the session's sql_mode makes bad values errors.
func strictMode(ctx *sql.Context) bool {
	m := sql.LoadSqlMode(ctx)
	return m.ModeEnabled("STRICT_TRANS_TABLES") || m.ModeEnabled("STRICT_ALL_TABLES") || m.ModeEnabled("TRADITIONAL")
}

// lenientWrites is a transform.Node function that routes the values of INSERT and UPDATE plans through
// lenientValue. INSERT IGNORE and UPDATE IGNORE keep go-mysql-server's own handling, which already
// downgrades these errors to warnings.
func lenientWrites(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	switch n := n.(type) {
	case *plan.InsertInto:
		return lenientInsert(n)
	case *plan.UpdateSource:
		if n.Ignore {
			return n, transform.SameTree, nil
		}
		exprs, changed := lenientSetFields(n.UpdateExprs)
		if !changed {
			return n, transform.SameTree, nil
		}
		return plan.NewUpdateSource(n.Child, n.Ignore, exprs), transform.NewTree, nil
	}
	return n, transform.SameTree, nil
}

// lenientInsert wraps the projection that feeds an INSERT's rows to the table: one expression per column
// of the destination, in order (the analyzer builds it, see wrapRowSource in go-mysql-server).
func lenientInsert(ii *plan.InsertInto) (sql.Node, transform.TreeIdentity, error) {
	if ii.Ignore {
		return ii, transform.SameTree, nil
	}
	proj, ok := ii.Source.(*plan.Project)
	schema := ii.Destination.Schema()
	if !ok || len(proj.Projections) != len(schema) {
		return ii, transform.SameTree, nil
	}
	if slices.ContainsFunc(proj.Projections, isLenient) {
		return ii, transform.SameTree, nil
	}
	// MySQL turns a NULL for a NOT NULL column into the implicit default only when the statement writes
	// several rows (a multi-row VALUES list or INSERT ... SELECT); a single-row INSERT fails with 1048.
	nullToDefault := true
	if v, ok := proj.Child.(*plan.Values); ok && len(v.ExpressionTuples) <= 1 {
		nullToDefault = false
	}
	// MariaDB counts a column that ON DUPLICATE KEY UPDATE assigns as given: no warning 1364 for it.
	updated := map[string]bool{}
	for _, e := range ii.OnDupExprs {
		if sf, ok := e.(*expression.SetField); ok {
			if gf, ok := sf.LeftChild.(*expression.GetField); ok {
				updated[strings.ToLower(gf.Name())] = true
			}
		}
	}
	exprs := make([]sql.Expression, len(proj.Projections))
	changed := false
	for i, e := range proj.Projections {
		col := schema[i]
		switch {
		case ii.DeferredDefaults.Contains(i):
			// Left out of the INSERT, NOT NULL, no DEFAULT: MySQL's implicit default, warning 1364.
			exprs[i] = &lenientValue{target: target{name: col.Name, typ: col.Type, nullable: col.Nullable}, missing: true,
				quiet: updated[strings.ToLower(col.Name)]}
			changed = true
		case isDefaultExpr(e) || isAutoIncrement(e):
			// Defaults are valid values, and go-mysql-server recognises these two by their type: leave them.
			exprs[i] = e
		default:
			exprs[i] = &lenientValue{child: e, target: target{name: col.Name, typ: col.Type, nullable: col.Nullable}, nullToDefault: nullToDefault}
			changed = true
		}
	}
	if len(ii.OnDupExprs) > 0 {
		if dup, dupChanged := lenientSetFields(ii.OnDupExprs); dupChanged {
			nii := *ii
			nii.OnDupExprs = dup
			ii = &nii
			changed = true
		}
	}
	if !changed {
		return ii, transform.SameTree, nil
	}
	np := *proj
	np.Projections = exprs
	return ii.WithSource(&np), transform.NewTree, nil
}

// lenientSetFields wraps the value of each `SET col = value` assignment. In an UPDATE MySQL turns NULL for a
// NOT NULL column into the implicit default even for one row.
func lenientSetFields(exprs []sql.Expression) ([]sql.Expression, bool) {
	out := make([]sql.Expression, len(exprs))
	changed := false
	for i, e := range exprs {
		out[i] = e
		sf, ok := e.(*expression.SetField)
		if !ok {
			continue
		}
		gf, ok := sf.LeftChild.(*expression.GetField)
		if !ok || isDefaultExpr(sf.RightChild) {
			continue
		}
		if isLenient(sf.RightChild) {
			continue
		}
		lv := &lenientValue{child: sf.RightChild, target: target{name: gf.Name(), typ: gf.Type(), nullable: gf.IsNullable()}, nullToDefault: true}
		out[i] = expression.NewSetField(sf.LeftChild, lv)
		changed = true
	}
	return out, changed
}

func isLenient(e sql.Expression) bool {
	_, ok := e.(*lenientValue)
	return ok
}

// isDefaultExpr mirrors how go-mysql-server recognises a column default in a projection or assignment (it
// evaluates non-literal defaults after the other columns).
func isDefaultExpr(e sql.Expression) bool {
	if w, ok := e.(*expression.Wrapper); ok {
		e = w.Unwrap()
	}
	switch e.(type) {
	case *sql.ColumnDefaultValue, plan.ColDefaultExpression:
		return true
	}
	return false
}

// isAutoIncrement: the insert iterator finds the generated key by this expression's type.
func isAutoIncrement(e sql.Expression) bool {
	_, ok := e.(*expression.AutoIncrement)
	return ok
}

// target is the column a value is written to.
type target struct {
	name     string
	typ      sql.Type
	nullable bool
}

// lenientValue evaluates child and converts the result to the target column's type as MariaDB does with
// an empty sql_mode, recording MariaDB's warning when the value had to change.
type lenientValue struct {
	child  sql.Expression // nil when missing
	target target
	// missing: the INSERT leaves the column out and it has no default (implicit default, warning 1364
	// unless quiet).
	missing, quiet bool
	// nullToDefault: NULL for a NOT NULL column becomes the implicit default (warning 1048) instead of
	// failing.
	nullToDefault bool
	// row counts evaluations, for the "at row N" of MySQL's warnings: the expression is built for one
	// execution of one statement and evaluated once per row.
	row int
}

var _ sql.Expression = (*lenientValue)(nil)

func (l *lenientValue) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	l.row++
	t := l.target
	if l.missing {
		if !l.quiet {
			l.warn(ctx, warnNoDefault, fmt.Sprintf("Field '%s' doesn't have a default value", t.name))
		}
		return implicitDefault(ctx, t.typ)
	}
	v, err := l.child.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	if v == nil {
		if t.nullable {
			return nil, nil
		}
		if !l.nullToDefault {
			return nil, mysql.NewSQLError(mysql.ERBadNullError, mysql.SSConstraintViolation, "Column '%s' cannot be null", t.name)
		}
		l.warn(ctx, warnCannotBeNull, fmt.Sprintf("Column '%s' cannot be null", t.name))
		return implicitDefault(ctx, t.typ)
	}
	return l.convert(ctx, v)
}

// convert applies the non-strict rules for the column types Open Dental uses; any other failure is
// returned as go-mysql-server reports it.
func (l *lenientValue) convert(ctx *sql.Context, v any) (any, error) {
	typ := l.target.typ
	if _, isText := textValue(v); isText {
		// go-mysql-server reads text for a number column with strconv, which refuses '12abc' and wraps
		// around past int64's range; MySQL reads the leading number and clips it.
		switch {
		case types.IsInteger(typ):
			return l.toInteger(ctx, v)
		case types.IsFloat(typ):
			return l.toFloat(ctx, v)
		}
	}
	conv, inRange, err := typ.Convert(ctx, v)
	if err == nil && bool(inRange) {
		return conv, nil
	}
	switch {
	case types.IsInteger(typ):
		return l.toInteger(ctx, v)
	case types.IsFloat(typ):
		return l.toFloat(ctx, v)
	case types.IsTextOnly(typ):
		if err != nil && types.ErrLengthBeyondLimit.Is(err) {
			if cut, ok := truncateText(v, typ); ok {
				l.warnTruncated(ctx)
				return convertTo(ctx, typ, cut)
			}
		}
	case types.IsDateType(typ) || types.IsDatetimeType(typ) || types.IsTimestampType(typ):
		if s, ok := digitsAsDatetime(v); ok {
			if conv, inRange, err := typ.Convert(ctx, s); err == nil && bool(inRange) {
				return conv, nil
			}
		}
		l.warnTruncated(ctx)
		return implicitDefault(ctx, typ)
	case types.IsTimespan(typ):
		if err == nil {
			l.warnOutOfRange(ctx) // clipped to ±838:59:59
			return conv, nil
		}
		l.warnTruncated(ctx)
		return implicitDefault(ctx, typ)
	}
	if err == nil {
		return conv, nil
	}
	return nil, err
}

// toInteger converts v as MySQL converts a value for an integer column without strict mode: text is read
// up to the first character that cannot continue a number, fractions round half away from zero, and the
// result is clipped to the column's range.
func (l *lenientValue) toInteger(ctx *sql.Context, v any) (any, error) {
	typ := l.target.typ
	lo, hi := integerRange(typ)
	var f float64
	if s, isText := textValue(v); isText {
		num, ok := l.leadingNumber(ctx, s, "integer")
		if !ok {
			return implicitDefault(ctx, typ)
		}
		if i, err := strconv.ParseInt(num, 10, 64); err == nil {
			switch {
			case i < lo:
				l.warnOutOfRange(ctx)
				return convertTo(ctx, typ, lo)
			case i > 0 && uint64(i) > hi:
				l.warnOutOfRange(ctx)
				return convertTo(ctx, typ, hiValue(hi))
			}
			return convertTo(ctx, typ, i)
		}
		f, _ = strconv.ParseFloat(num, 64) // ±Inf past float64's range, clipped below
	} else {
		var err error
		if f, err = floatOf(ctx, v); err != nil {
			return nil, err
		}
	}
	f = math.Round(f)
	switch {
	case f < float64(lo):
		l.warnOutOfRange(ctx)
		return convertTo(ctx, typ, lo)
	case f > float64(hi) || (hi == math.MaxInt64 && f >= 0x1p63) || f >= 0x1p64:
		// float64(hi) of a 64-bit type rounds up to the power of two just past it.
		l.warnOutOfRange(ctx)
		return convertTo(ctx, typ, hiValue(hi))
	}
	if f < 0 {
		return convertTo(ctx, typ, int64(f))
	}
	return convertTo(ctx, typ, uint64(f))
}

// convertTo converts a value already brought into the column's range.
func convertTo(ctx *sql.Context, typ sql.Type, v any) (any, error) {
	out, _, err := typ.Convert(ctx, v)
	return out, err
}

func hiValue(hi uint64) any {
	if hi > math.MaxInt64 {
		return hi
	}
	return int64(hi)
}

// integerRange is the range of an integer column type.
func integerRange(typ sql.Type) (lo int64, hi uint64) {
	switch typ.Type() {
	case sqltypes.Int8:
		return math.MinInt8, math.MaxInt8
	case sqltypes.Uint8:
		return 0, math.MaxUint8
	case sqltypes.Int16:
		return math.MinInt16, math.MaxInt16
	case sqltypes.Uint16:
		return 0, math.MaxUint16
	case sqltypes.Int24:
		return -1 << 23, 1<<23 - 1
	case sqltypes.Uint24:
		return 0, 1<<24 - 1
	case sqltypes.Int32:
		return math.MinInt32, math.MaxInt32
	case sqltypes.Uint32:
		return 0, math.MaxUint32
	case sqltypes.Uint64:
		return 0, math.MaxUint64
	}
	return math.MinInt64, math.MaxInt64
}

// toFloat converts v for a FLOAT or DOUBLE column: text is read up to where a number ends, and values past
// the type's range become its largest value.
func (l *lenientValue) toFloat(ctx *sql.Context, v any) (any, error) {
	typ := l.target.typ
	max := math.MaxFloat64
	if typ.Type() == sqltypes.Float32 {
		max = math.MaxFloat32
	}
	var f float64
	if s, isText := textValue(v); isText {
		num, ok := l.leadingNumber(ctx, s, "double")
		if !ok {
			return implicitDefault(ctx, typ)
		}
		f, _ = strconv.ParseFloat(num, 64)
	} else {
		var err error
		if f, err = floatOf(ctx, v); err != nil {
			return nil, err
		}
	}
	if f > max || f < -max {
		l.warnOutOfRange(ctx)
		f = math.Copysign(max, f)
	}
	return convertTo(ctx, typ, f)
}

// leadingNumber returns the number text s starts with, warning as MySQL does when s holds more than a
// number (1265) or none at all (1366, and ok is false: the column gets its implicit default).
func (l *lenientValue) leadingNumber(ctx *sql.Context, s, kind string) (num string, ok bool) {
	num, whole := numericPrefix(s)
	switch {
	case num == "":
		l.warnIncorrect(ctx, kind, s)
		return "", false
	case !whole:
		l.warnTruncated(ctx)
	}
	return num, true
}

// floatOf converts a number of any Go type the engine uses to float64.
func floatOf(ctx *sql.Context, v any) (float64, error) {
	f, _, err := types.Float64.Convert(ctx, v)
	if err != nil {
		return 0, err
	}
	return f.(float64), nil
}

// textValue returns v as text when it is a string value (how a client's literal or bound parameter
// arrives).
func textValue(v any) (string, bool) {
	switch s := v.(type) {
	case string:
		return s, true
	case []byte:
		return string(s), true
	}
	return "", false
}

// numericPrefix returns the longest prefix of s (after leading spaces) that reads as a number, as MySQL
// reads text in a numeric context, and whether that prefix is all of s apart from surrounding spaces.
func numericPrefix(s string) (num string, whole bool) {
	t := strings.TrimLeft(s, " \t\n\r")
	i := 0
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	digits := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
		digits++
	}
	if i < len(t) && t[i] == '.' {
		j := i + 1
		for j < len(t) && t[j] >= '0' && t[j] <= '9' {
			j++
			digits++
		}
		if digits > 0 {
			i = j
		}
	}
	if digits == 0 {
		return "", false
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		j := i + 1
		if j < len(t) && (t[j] == '+' || t[j] == '-') {
			j++
		}
		k := j
		for k < len(t) && t[k] >= '0' && t[k] <= '9' {
			k++
		}
		if k > j {
			i = k
		}
	}
	return t[:i], strings.TrimRight(t[i:], " \t\n\r") == ""
}

// truncateText cuts a string value to what a text column holds: VARCHAR and CHAR count characters, TEXT
// counts bytes (cut at a character boundary).
func truncateText(v any, typ sql.Type) (string, bool) {
	s, ok := textValue(v)
	st, isString := typ.(sql.StringType)
	if !ok || !isString {
		return "", false
	}
	if typ.Type() == sqltypes.Text {
		max := int(st.MaxByteLength())
		if len(s) <= max {
			return s, true
		}
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut], true
	}
	max := int(st.MaxCharacterLength())
	n := 0
	for i := range s {
		if n == max {
			return s[:i], true
		}
		n++
	}
	return s, true
}

// digitsAsDatetime reads a number (or a string of digits) as MySQL reads it for a date or datetime
// column: YYYYMMDD, YYMMDD, YYYYMMDDhhmmss or YYMMDDhhmmss, two-digit years 70-99 in the 1900s.
func digitsAsDatetime(v any) (string, bool) {
	var s string
	switch n := v.(type) {
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		s = fmt.Sprint(n)
	default:
		t, ok := textValue(v)
		if !ok {
			return "", false
		}
		s = strings.TrimSpace(t)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	switch len(s) {
	case 6, 12:
		century := "20"
		if s[0] >= '7' {
			century = "19"
		}
		s = century + s
	case 8, 14:
	default:
		return "", false
	}
	out := s[0:4] + "-" + s[4:6] + "-" + s[6:8]
	if len(s) == 14 {
		out += " " + s[8:10] + ":" + s[10:12] + ":" + s[12:14]
	}
	return out, true
}

// implicitDefault is MySQL's value for a NOT NULL column given no value: 0, the empty string, the zero
// date or time.
func implicitDefault(ctx *sql.Context, typ sql.Type) (any, error) {
	var zero any
	switch {
	case types.IsDateType(typ):
		zero = types.ZeroDateStr
	case types.IsDatetimeType(typ) || types.IsTimestampType(typ):
		zero = types.ZeroTimestampDatetimeStr
	case types.IsTimespan(typ):
		zero = "00:00:00"
	case types.IsNumber(typ) || types.IsYear(typ):
		zero = 0
	case types.IsEnum(typ):
		zero = 1 // the first member
	case types.IsText(typ) || types.IsSet(typ):
		zero = ""
	default:
		return typ.Zero(), nil
	}
	v, _, err := typ.Convert(ctx, zero)
	return v, err
}

func (l *lenientValue) warn(ctx *sql.Context, code int, msg string) {
	if ctx == nil || ctx.Session == nil {
		return
	}
	ctx.Session.Warn(&sql.Warning{Level: "Warning", Code: code, Message: msg})
}

func (l *lenientValue) warnTruncated(ctx *sql.Context) {
	l.warn(ctx, warnDataTruncated, fmt.Sprintf("Data truncated for column '%s' at row %d", l.target.name, l.row))
}

func (l *lenientValue) warnOutOfRange(ctx *sql.Context) {
	l.warn(ctx, warnOutOfRange, fmt.Sprintf("Out of range value for column '%s' at row %d", l.target.name, l.row))
}

func (l *lenientValue) warnIncorrect(ctx *sql.Context, kind, value string) {
	l.warn(ctx, warnIncorrectValue, fmt.Sprintf("Incorrect %s value: '%s' for column '%s' at row %d", kind, value, l.target.name, l.row))
}

func (l *lenientValue) Resolved() bool { return l.child == nil || l.child.Resolved() }

func (l *lenientValue) String() string {
	if l.child == nil {
		return fmt.Sprintf("implicitDefault(%s)", l.target.name)
	}
	return fmt.Sprintf("lenient(%s as %s)", l.child, l.target.typ)
}

func (l *lenientValue) Type() sql.Type { return l.target.typ }

func (l *lenientValue) IsNullable() bool { return l.target.nullable }

func (l *lenientValue) Children() []sql.Expression {
	if l.child == nil {
		return nil
	}
	return []sql.Expression{l.child}
}

func (l *lenientValue) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(l.Children()) {
		return nil, sql.ErrInvalidChildrenNumber.New(l, len(children), len(l.Children()))
	}
	nl := *l
	nl.row = 0
	if len(children) == 1 {
		nl.child = children[0]
	}
	return &nl, nil
}
