package scenario

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/odsim/odsim/store/frontdesk"
)

// action is a parsed operation, ready to run.
type action interface {
	run(ctx context.Context, r *runner, e *env) (outcome, error)
}

// outcome is what one run of a step did.
type outcome struct {
	row    row    // the row written or acted on; table "" when none
	detail string // for progress lines: "PatNum 61", "no change", ...
}

// opSpec is one operation a step can name.
type opSpec struct {
	table string // the table of the row a named step of this operation refers to, "" for none
	parse func(ps *params) (action, error)
}

// operations lists every operation, by the name a step gives it. It is built once and never changed.
var operations = map[string]opSpec{
	"add-patient":            {"patient", parseInsert("patient", (*frontdesk.Desk).AddPatient)},
	"update-patient":         {"patient", parseUpdate("patient", "patient", (*frontdesk.Desk).UpdatePatient)},
	"select-patient":         {"patient", parseSelect},
	"set-patfield":           {"patfield", parseSetPatField},
	"clear-patfield":         {"patient", parseClearPatField},
	"book-appointment":       {"appointment", parseBook},
	"update-appointment":     {"appointment", parseUpdate("appointment", "appointment", (*frontdesk.Desk).UpdateAppointment)},
	"confirm-appointment":    {"appointment", parseConfirm},
	"arrive":                 {"appointment", parseMilestone(frontdesk.Arrived)},
	"seat":                   {"appointment", parseMilestone(frontdesk.Seated)},
	"dismiss":                {"appointment", parseMilestone(frontdesk.Dismissed)},
	"complete-appointment":   {"appointment", parseComplete},
	"break-appointment":      {"appointment", parseBreak},
	"reschedule-appointment": {"appointment", parseUpdate("appointment", "appointment", (*frontdesk.Desk).RescheduleAppointment)},
	"unschedule-appointment": {"appointment", parseUnschedule},
	"delete-appointment":     {"histappointment", parseDelete},
	"add-provider":           {"provider", parseInsert("provider", (*frontdesk.Desk).AddProvider)},
	"update-provider":        {"provider", parseUpdate("provider", "provider", (*frontdesk.Desk).UpdateProvider)},
	"add-operatory":          {"operatory", parseInsert("operatory", (*frontdesk.Desk).AddOperatory)},
	"update-operatory":       {"operatory", parseUpdate("operatory", "operatory", (*frontdesk.Desk).UpdateOperatory)},
	"add-schedule":           {"schedule", parseAddSchedule},
	"update-schedule":        {"schedule", parseUpdateSchedule},
	"merge-patients":         {"patient", parseMerge},
	"import-appointments":    {"", parseImport},
	"sql":                    {"", parseSQL},
}

// OperationNames lists the operations a step can name, sorted.
func OperationNames() []string {
	names := make([]string, 0, len(operations))
	for n := range operations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// params reads the body of one step's operation: a mapping of parameters and columns.
type params struct {
	op    string
	node  *yaml.Node
	pairs [][2]*yaml.Node
	used  []bool
	refs  []refUse
}

// refUse is a reference in a step, kept for Parse's checks.
type refUse struct {
	ref  refExpr
	line int
}

// lineError is an error at a line of the file.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return e.err.Error() }

func errAt(n *yaml.Node, format string, args ...any) error {
	return &lineError{line: n.Line, err: fmt.Errorf(format, args...)}
}

func newParams(op string, n *yaml.Node) (*params, error) {
	ps := &params{op: op, node: n}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return ps, nil // `complete-appointment:` with nothing after it
	}
	if n.Kind != yaml.MappingNode {
		return nil, errAt(n, "%s takes a mapping of parameters, not a %s", op, kindName(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := strings.ToLower(n.Content[i].Value)
		if seen[k] {
			return nil, errAt(n.Content[i], "%s is given twice", n.Content[i].Value)
		}
		seen[k] = true
		ps.pairs = append(ps.pairs, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
	}
	ps.used = make([]bool, len(ps.pairs))
	return ps, nil
}

// take returns the value of parameter key (case-insensitive) and marks it used; nil when absent.
func (ps *params) take(key string) *yaml.Node {
	for i, p := range ps.pairs {
		if !ps.used[i] && strings.EqualFold(p[0].Value, key) {
			ps.used[i] = true
			return p[1]
		}
	}
	return nil
}

// row reads parameter key as a reference to a row of table.
func (ps *params) row(key, table string, required bool) (expr, error) {
	n := ps.take(key)
	if n == nil {
		if required {
			return nil, errAt(ps.node, "%s needs %s: a number or $name", ps.op, key)
		}
		return nil, nil
	}
	x, err := rowValue(n, table)
	if err != nil {
		return nil, errAt(n, "%s: %v", key, err)
	}
	ps.note(x, n)
	return x, nil
}

func (ps *params) note(x expr, n *yaml.Node) {
	if r, ok := x.(refExpr); ok {
		ps.refs = append(ps.refs, refUse{ref: r, line: n.Line})
	}
}

// text reads parameter key as text ({{n}} allowed).
func (ps *params) text(key string, required bool) (expr, error) {
	n := ps.take(key)
	if n == nil {
		if required {
			return nil, errAt(ps.node, "%s needs %s", ps.op, key)
		}
		return nil, nil
	}
	if n.Kind != yaml.ScalarNode {
		return nil, errAt(n, "%s: expected text, not a %s", key, kindName(n))
	}
	if strings.Contains(n.Value, "{{n}}") {
		return textExpr{n.Value}, nil
	}
	return literal{n.Value}, nil
}

// column reads parameter key as a value of column col of table (for parameters that are columns).
func (ps *params) column(key, table, col string) (expr, error) {
	n := ps.take(key)
	if n == nil {
		return nil, nil
	}
	t, _ := frontdesk.LookupTable(table)
	c, _ := t.Column(col)
	x, err := columnValue(n, t, c)
	if err != nil {
		return nil, errAt(n, "%v", err)
	}
	ps.note(x, n)
	return x, nil
}

// colExpr is one column a step writes.
type colExpr struct {
	name string
	x    expr
}

// columns reads every parameter not taken yet as a column of table.
func (ps *params) columns(table string, allowKey bool) ([]colExpr, error) {
	t, _ := frontdesk.LookupTable(table)
	var out []colExpr
	for i, p := range ps.pairs {
		if ps.used[i] {
			continue
		}
		ps.used[i] = true
		c, ok := t.Column(p[0].Value)
		if !ok {
			return nil, errAt(p[0], "%s: unknown parameter or %s column %q%s", ps.op, table, p[0].Value, suggest(p[0].Value, t))
		}
		if c.PrimaryKey && !allowKey {
			return nil, errAt(p[0], "%s is the primary key of %s; it cannot change", c.Name, table)
		}
		x, err := columnValue(p[1], t, c)
		if err != nil {
			return nil, errAt(p[1], "%v", err)
		}
		ps.note(x, p[1])
		out = append(out, colExpr{c.Name, x})
	}
	return out, nil
}

// suggest names a column spelled alike, for typos.
func suggest(name string, t *frontdesk.Table) string {
	l := strings.ToLower(name)
	for _, c := range t.Columns {
		cl := strings.ToLower(c.Name)
		if strings.Contains(cl, l) || strings.Contains(l, cl) {
			return fmt.Sprintf(" (did you mean %s?)", c.Name)
		}
	}
	return ""
}

// finish refuses parameters the operation does not take.
func (ps *params) finish(allowed ...string) error {
	for i, p := range ps.pairs {
		if !ps.used[i] {
			return errAt(p[0], "%s: unknown parameter %q (it takes %s)", ps.op, p[0].Value, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// set evaluates the columns into the frontdesk.Set an operation takes.
func set(cols []colExpr, e *env) (frontdesk.Set, error) {
	out := make(frontdesk.Set, 0, len(cols))
	for _, c := range cols {
		v, err := c.x.eval(e)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		out = append(out, frontdesk.Assign{Column: c.name, Value: v})
	}
	return out, nil
}

func num(x expr, e *env) (int64, error) {
	v, err := x.eval(e)
	if err != nil {
		return 0, err
	}
	return v.(int64), nil
}

func str(x expr, e *env) (string, error) {
	v, err := x.eval(e)
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

func changedDetail(what string, changed bool) string {
	if changed {
		return what
	}
	return what + ", no change (no event)"
}

// --- operations that write columns --------------------------------------------------------------------

type insertAction struct {
	table string
	cols  []colExpr
	do    func(*frontdesk.Desk, context.Context, frontdesk.Set) (int64, error)
}

func (a insertAction) run(ctx context.Context, r *runner, e *env) (outcome, error) {
	s, err := set(a.cols, e)
	if err != nil {
		return outcome{}, err
	}
	n, err := a.do(r.desk, ctx, s)
	if err != nil {
		return outcome{}, err
	}
	t, _ := frontdesk.LookupTable(a.table)
	return outcome{row{a.table, n}, fmt.Sprintf("%s %d", t.Key().Name, n)}, nil
}

func parseInsert(table string, do func(*frontdesk.Desk, context.Context, frontdesk.Set) (int64, error)) func(*params) (action, error) {
	return func(ps *params) (action, error) {
		cols, err := ps.columns(table, true)
		if err != nil {
			return nil, err
		}
		return insertAction{table, cols, do}, nil
	}
}

type updateAction struct {
	table  string
	target expr
	cols   []colExpr
	do     func(*frontdesk.Desk, context.Context, int64, frontdesk.Set) (bool, error)
}

func (a updateAction) run(ctx context.Context, r *runner, e *env) (outcome, error) {
	n, err := num(a.target, e)
	if err != nil {
		return outcome{}, err
	}
	s, err := set(a.cols, e)
	if err != nil {
		return outcome{}, err
	}
	changed, err := a.do(r.desk, ctx, n, s)
	if err != nil {
		return outcome{}, err
	}
	t, _ := frontdesk.LookupTable(a.table)
	return outcome{row{a.table, n}, changedDetail(fmt.Sprintf("%s %d", t.Key().Name, n), changed)}, nil
}

func parseUpdate(key, table string, do func(*frontdesk.Desk, context.Context, int64, frontdesk.Set) (bool, error)) func(*params) (action, error) {
	return func(ps *params) (action, error) {
		target, err := ps.row(key, table, true)
		if err != nil {
			return nil, err
		}
		cols, err := ps.columns(table, false)
		if err != nil {
			return nil, err
		}
		if len(cols) == 0 {
			return nil, errAt(ps.node, "%s: give at least one %s column to change", ps.op, table)
		}
		return updateAction{table, target, cols, do}, nil
	}
}

// book-appointment takes appointment columns and `length`, the appointment's length in minutes, which
// sets its Pattern in Open Dental's 5-minute slots.
func parseBook(ps *params) (action, error) {
	var pattern *colExpr
	if n := ps.take("length"); n != nil {
		d, err := time.ParseDuration(n.Value)
		if err != nil {
			if m, convErr := strconv.Atoi(n.Value); convErr == nil {
				d, err = time.Duration(m)*time.Minute, nil
			}
		}
		if err != nil || d < 10*time.Minute || d > 10*time.Hour || d%(5*time.Minute) != 0 {
			return nil, errAt(n, "length: %q is not a length in 5-minute steps from 10m to 10h (40m, 1h30m, or minutes: 40)", n.Value)
		}
		slots := int(d / (5 * time.Minute))
		pattern = &colExpr{"Pattern", literal{"/" + strings.Repeat("X", slots-2) + "/"}}
	}
	cols, err := ps.columns("appointment", true)
	if err != nil {
		return nil, err
	}
	if pattern != nil {
		cols = append(cols, *pattern)
	}
	return insertAction{"appointment", cols, (*frontdesk.Desk).BookAppointment}, nil
}

// --- patients ---------------------------------------------------------------------------------------

type selectAction struct {
	patient     expr
	workstation expr
}

func (a selectAction) run(ctx context.Context, r *runner, e *env) (outcome, error) {
	n, err := num(a.patient, e)
	if err != nil {
		return outcome{}, err
	}
	ws := ""
	if a.workstation != nil {
		if ws, err = str(a.workstation, e); err != nil {
			return outcome{}, err
		}
	}
	if r.selector == nil {
		return outcome{}, fmt.Errorf("select-patient needs odsim's UI events: run the scenario through odsim serve (or against a running odsim)")
	}
	if err := r.selector.SelectPatient(ctx, ws, n); err != nil {
		return outcome{}, err
	}
	where := ""
	if ws != "" {
		where = " on " + ws
	}
	return outcome{row{"patient", n}, fmt.Sprintf("PatNum %d selected%s", n, where)}, nil
}

func parseSelect(ps *params) (action, error) {
	p, err := ps.row("patient", "patient", true)
	if err != nil {
		return nil, err
	}
	ws, err := ps.text("workstation", false)
	if err != nil {
		return nil, err
	}
	return selectAction{p, ws}, ps.finish("patient", "workstation")
}

type setPatFieldAction struct {
	patient, field, value expr
}

func (a setPatFieldAction) run(ctx context.Context, r *runner, e *env) (outcome, error) {
	p, err := num(a.patient, e)
	if err != nil {
		return outcome{}, err
	}
	f, err := str(a.field, e)
	if err != nil {
		return outcome{}, err
	}
	v, err := str(a.value, e)
	if err != nil {
		return outcome{}, err
	}
	n, changed, err := r.desk.SetPatField(ctx, p, f, v)
	if err != nil {
		return outcome{}, err
	}
	return outcome{row{"patfield", n}, changedDetail(fmt.Sprintf("PatFieldNum %d", n), changed)}, nil
}

func parseSetPatField(ps *params) (action, error) {
	p, err := ps.row("patient", "patient", true)
	if err != nil {
		return nil, err
	}
	f, err := ps.text("field", true)
	if err != nil {
		return nil, err
	}
	v, err := ps.text("value", true)
	if err != nil {
		return nil, err
	}
	if l, ok := v.(literal); ok {
		if days, rel := relativeDays(l.v.(string)); rel {
			v = dateExpr{days: days} // a Date field's value: today, tomorrow, +3d, ...
		}
	}
	return setPatFieldAction{p, f, v}, ps.finish("patient", "field", "value")
}

type clearPatFieldAction struct {
	patient, field expr
}

func (a clearPatFieldAction) run(ctx context.Context, r *runner, e *env) (outcome, error) {
	p, err := num(a.patient, e)
	if err != nil {
		return outcome{}, err
	}
	f, err := str(a.field, e)
	if err != nil {
		return outcome{}, err
	}
	deleted, err := r.desk.ClearPatField(ctx, p, f)
	if err != nil {
		return outcome{}, err
	}
	detail := "row deleted (no event)"
	if !deleted {
		detail = "was not set"
	}
	return outcome{row{"patient", p}, detail}, nil
}

func parseClearPatField(ps *params) (action, error) {
	p, err := ps.row("patient", "patient", true)
	if err != nil {
		return nil, err
	}
	f, err := ps.text("field", true)
	if err != nil {
		return nil, err
	}
	return clearPatFieldAction{p, f}, ps.finish("patient", "field")
}

type mergeAction struct {
	from, into expr
	preferFrom bool
}

func (a mergeAction) run(ctx context.Context, r *runner, e *env) (outcome, error) {
	from, err := num(a.from, e)
	if err != nil {
		return outcome{}, err
	}
	into, err := num(a.into, e)
	if err != nil {
		return outcome{}, err
	}
	res, err := r.desk.MergePatients(ctx, from, into, a.preferFrom)
	if err != nil {
		return outcome{}, err
	}
	return outcome{row{"patient", into}, fmt.Sprintf("PatNum %d into %d: %d appointments, %d patient fields, %d family members moved",
		from, into, res.Appointments, res.PatFields, res.FamilyMembers)}, nil
}

func parseMerge(ps *params) (action, error) {
	from, err := ps.row("from", "patient", true)
	if err != nil {
		return nil, err
	}
	into, err := ps.row("into", "patient", true)
	if err != nil {
		return nil, err
	}
	a := mergeAction{from: from, into: into}
	if n := ps.take("prefer"); n != nil {
		switch strings.ToLower(n.Value) {
		case "into":
		case "from":
			a.preferFrom = true
		default:
			return nil, errAt(n, "prefer: %q: use into (keep the target's field values) or from", n.Value)
		}
	}
	return a, ps.finish("from", "into", "prefer")
}

// --- appointment actions ----------------------------------------------------------------------------

// apptAction runs one frontdesk appointment action on the appointment a step names.
type apptAction struct {
	appointment expr
	do          func(ctx context.Context, d *frontdesk.Desk, apt int64, e *env) (bool, error)
}

func (a apptAction) run(ctx context.Context, r *runner, e *env) (outcome, error) {
	n, err := num(a.appointment, e)
	if err != nil {
		return outcome{}, err
	}
	changed, err := a.do(ctx, r.desk, n, e)
	if err != nil {
		return outcome{}, err
	}
	return outcome{row{"appointment", n}, changedDetail(fmt.Sprintf("AptNum %d", n), changed)}, nil
}

func parseConfirm(ps *params) (action, error) {
	apt, err := ps.row("appointment", "appointment", true)
	if err != nil {
		return nil, err
	}
	conf, err := ps.column("confirmed", "appointment", "Confirmed")
	if err != nil {
		return nil, err
	}
	if conf == nil {
		return nil, errAt(ps.node, "confirm-appointment needs confirmed: a confirmation status (Appointment Confirmed, Left Msg, ...) or its DefNum")
	}
	return apptAction{apt, func(ctx context.Context, d *frontdesk.Desk, n int64, e *env) (bool, error) {
		v, err := conf.eval(e)
		if err != nil {
			return false, err
		}
		return d.ConfirmAppointment(ctx, n, v)
	}}, ps.finish("appointment", "confirmed")
}

func parseMilestone(m frontdesk.Milestone) func(*params) (action, error) {
	return func(ps *params) (action, error) {
		apt, err := ps.row("appointment", "appointment", true)
		if err != nil {
			return nil, err
		}
		var at expr = dateTimeExpr{fromNow: true}
		if n := ps.take("time"); n != nil {
			x, err := parseDateTime(n.Value)
			if err != nil {
				return nil, errAt(n, "time: %v", err)
			}
			at = x
		}
		conf, err := ps.column("confirmed", "appointment", "Confirmed")
		if err != nil {
			return nil, err
		}
		return apptAction{apt, func(ctx context.Context, d *frontdesk.Desk, n int64, e *env) (bool, error) {
			t, err := evalTime(at, e)
			if err != nil {
				return false, err
			}
			var c any
			if conf != nil {
				if c, err = conf.eval(e); err != nil {
					return false, err
				}
			}
			return d.MarkTime(ctx, n, m, t, c)
		}}, ps.finish("appointment", "time", "confirmed")
	}
}

func parseComplete(ps *params) (action, error) {
	apt, err := ps.row("appointment", "appointment", true)
	if err != nil {
		return nil, err
	}
	return apptAction{apt, func(ctx context.Context, d *frontdesk.Desk, n int64, _ *env) (bool, error) {
		return d.CompleteAppointment(ctx, n)
	}}, ps.finish("appointment")
}

func parseBreak(ps *params) (action, error) {
	apt, err := ps.row("appointment", "appointment", true)
	if err != nil {
		return nil, err
	}
	cancelled := false
	if n := ps.take("reason"); n != nil {
		switch strings.ToLower(n.Value) {
		case "missed":
		case "cancelled", "canceled":
			cancelled = true
		default:
			return nil, errAt(n, "reason: %q: use missed or cancelled", n.Value)
		}
	}
	return apptAction{apt, func(ctx context.Context, d *frontdesk.Desk, n int64, _ *env) (bool, error) {
		return d.BreakAppointment(ctx, n, cancelled)
	}}, ps.finish("appointment", "reason")
}

func parseUnschedule(ps *params) (action, error) {
	apt, err := ps.row("appointment", "appointment", true)
	if err != nil {
		return nil, err
	}
	status, err := ps.column("UnschedStatus", "appointment", "UnschedStatus")
	if err != nil {
		return nil, err
	}
	return apptAction{apt, func(ctx context.Context, d *frontdesk.Desk, n int64, e *env) (bool, error) {
		var v any
		if status != nil {
			if v, err = status.eval(e); err != nil {
				return false, err
			}
		}
		return d.UnscheduleAppointment(ctx, n, v)
	}}, ps.finish("appointment", "UnschedStatus")
}

type deleteAction struct{ appointment expr }

func (a deleteAction) run(ctx context.Context, r *runner, e *env) (outcome, error) {
	n, err := num(a.appointment, e)
	if err != nil {
		return outcome{}, err
	}
	hist, err := r.desk.DeleteAppointment(ctx, n)
	if err != nil {
		return outcome{}, err
	}
	return outcome{row{"histappointment", hist}, fmt.Sprintf("AptNum %d deleted, HistApptNum %d", n, hist)}, nil
}

func parseDelete(ps *params) (action, error) {
	apt, err := ps.row("appointment", "appointment", true)
	if err != nil {
		return nil, err
	}
	return deleteAction{apt}, ps.finish("appointment")
}

// --- schedules ----------------------------------------------------------------------------------------

// operatoryList reads `operatories: [1, $newop]`.
func (ps *params) operatoryList() ([]expr, bool, error) {
	n := ps.take("operatories")
	if n == nil {
		return nil, false, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, false, errAt(n, "operatories: expected a list of operatories, e.g. [1, 2, $newop]")
	}
	out := make([]expr, 0, len(n.Content))
	for _, item := range n.Content {
		x, err := rowValue(item, "operatory")
		if err != nil {
			return nil, false, errAt(item, "operatories: %v", err)
		}
		ps.note(x, item)
		out = append(out, x)
	}
	return out, true, nil
}

func evalNums(xs []expr, e *env) ([]int64, error) {
	out := make([]int64, 0, len(xs))
	for _, x := range xs {
		n, err := num(x, e)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

type scheduleAction struct {
	target expr // nil: add
	cols   []colExpr
	ops    []expr
	setOps bool
}

func (a scheduleAction) run(ctx context.Context, r *runner, e *env) (outcome, error) {
	s, err := set(a.cols, e)
	if err != nil {
		return outcome{}, err
	}
	ops, err := evalNums(a.ops, e)
	if err != nil {
		return outcome{}, err
	}
	if a.target == nil {
		n, err := r.desk.AddSchedule(ctx, s, ops)
		if err != nil {
			return outcome{}, err
		}
		return outcome{row{"schedule", n}, fmt.Sprintf("ScheduleNum %d", n)}, nil
	}
	n, err := num(a.target, e)
	if err != nil {
		return outcome{}, err
	}
	if !a.setOps {
		ops = nil
	} else if ops == nil {
		ops = []int64{}
	}
	changed, err := r.desk.UpdateSchedule(ctx, n, s, ops)
	if err != nil {
		return outcome{}, err
	}
	return outcome{row{"schedule", n}, changedDetail(fmt.Sprintf("ScheduleNum %d", n), changed)}, nil
}

func parseAddSchedule(ps *params) (action, error) {
	ops, _, err := ps.operatoryList()
	if err != nil {
		return nil, err
	}
	cols, err := ps.columns("schedule", true)
	if err != nil {
		return nil, err
	}
	return scheduleAction{cols: cols, ops: ops}, nil
}

func parseUpdateSchedule(ps *params) (action, error) {
	target, err := ps.row("schedule", "schedule", true)
	if err != nil {
		return nil, err
	}
	ops, setOps, err := ps.operatoryList()
	if err != nil {
		return nil, err
	}
	cols, err := ps.columns("schedule", false)
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 && !setOps {
		return nil, errAt(ps.node, "update-schedule: give schedule columns or operatories to change")
	}
	return scheduleAction{target: target, cols: cols, ops: ops, setOps: setOps}, nil
}

// --- raw SQL --------------------------------------------------------------------------------------------

var sqlRefRE = regexp.MustCompile(`\$\$|\$[A-Za-z_][A-Za-z0-9_-]*`)

type sqlAction struct{ statements []string }

func (a sqlAction) run(ctx context.Context, r *runner, e *env) (outcome, error) {
	stmts := make([]string, len(a.statements))
	for i, s := range a.statements {
		var resolveErr error
		stmts[i] = sqlRefRE.ReplaceAllStringFunc(s, func(m string) string {
			if m == "$$" {
				return "$"
			}
			n, err := refExpr{name: m[1:]}.eval(e)
			if err != nil && resolveErr == nil {
				resolveErr = err
			}
			return fmt.Sprint(n)
		})
		if resolveErr != nil {
			return outcome{}, resolveErr
		}
	}
	n, err := r.desk.Exec(ctx, stmts)
	if err != nil {
		return outcome{}, err
	}
	return outcome{detail: fmt.Sprintf("%d rows affected", n)}, nil
}

// parseSQL reads `sql: "UPDATE ..."` or a list of statements, run in one transaction. $name in a
// statement is the number of the row step name wrote; $$ is a dollar sign.
func parseSQL(ps *params) (action, error) {
	n := ps.node
	var nodes []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		nodes = []*yaml.Node{n}
	case yaml.SequenceNode:
		nodes = n.Content
	default:
		return nil, errAt(n, "sql takes a statement or a list of statements")
	}
	var a sqlAction
	for _, s := range nodes {
		if s.Kind != yaml.ScalarNode || strings.TrimSpace(s.Value) == "" {
			return nil, errAt(s, "sql: expected an SQL statement")
		}
		for _, m := range sqlRefRE.FindAllString(s.Value, -1) {
			if m != "$$" {
				ps.refs = append(ps.refs, refUse{ref: refExpr{name: m[1:]}, line: s.Line})
			}
		}
		a.statements = append(a.statements, s.Value)
	}
	if len(a.statements) == 0 {
		return nil, errAt(n, "sql: no statements")
	}
	return a, nil
}
