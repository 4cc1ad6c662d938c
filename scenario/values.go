package scenario

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/odsim/odsim/store/frontdesk"
)

// env is what a step's values are resolved against when the step runs.
type env struct {
	start time.Time      // the scenario clock at the scenario's start
	now   time.Time      // the scenario clock at this run of the step
	rows  map[string]row // the latest row each named step wrote, by name
	n     int            // which run of the step this is, from 1
}

// row is a row a step wrote or acted on.
type row struct {
	table string
	num   int64
}

// expr is a value known when the step runs: a literal, a reference to another step's row, a date
// relative to the scenario's start.
type expr interface {
	eval(e *env) (any, error)
}

type literal struct{ v any }

func (l literal) eval(*env) (any, error) { return l.v, nil }

// refExpr is `$name`: the primary key of the row step name wrote (its latest run's, for a repeating step).
type refExpr struct {
	name  string
	table string // the table the value must be a row of, "" when any
}

func (r refExpr) eval(e *env) (any, error) {
	got, ok := e.rows[r.name]
	if !ok {
		return nil, fmt.Errorf("$%s has no row yet (step %s has not run)", r.name, r.name)
	}
	return got.num, nil
}

// textExpr is text with {{n}}, the run number of a repeating step, so that each run writes new values.
type textExpr struct{ text string }

func (t textExpr) eval(e *env) (any, error) {
	return strings.ReplaceAll(t.text, "{{n}}", strconv.Itoa(e.n)), nil
}

// dateExpr is a date: fixed, or a number of days from the scenario's start date.
type dateExpr struct {
	fixed string
	days  int
}

func (d dateExpr) eval(e *env) (any, error) {
	if d.fixed != "" {
		return d.fixed, nil
	}
	return e.start.AddDate(0, 0, d.days).Format(time.DateOnly), nil
}

// dateTimeExpr is a date and time: fixed, a day relative to the start at a clock time, or the step's own
// time ("now") plus an offset.
type dateTimeExpr struct {
	fixed   string
	days    int
	clock   time.Duration
	fromNow bool
	offset  time.Duration
}

func (d dateTimeExpr) eval(e *env) (any, error) {
	switch {
	case d.fixed != "":
		return d.fixed, nil
	case d.fromNow:
		return e.now.Add(d.offset).Format(time.DateTime), nil
	}
	y, m, day := e.start.AddDate(0, 0, d.days).Date()
	return time.Date(y, m, day, 0, 0, 0, 0, e.start.Location()).Add(d.clock).Format(time.DateTime), nil
}

// evalTime returns the time a date-time expression names, for operations that take a time.Time.
func evalTime(x expr, e *env) (time.Time, error) {
	v, err := x.eval(e)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.ParseInLocation(time.DateTime, v.(string), e.start.Location())
	if err != nil {
		return time.Time{}, err
	}
	return t, nil
}

var (
	relDayRE  = regexp.MustCompile(`^(today|tomorrow|yesterday)?\s*(?:([+-])\s*(\d+)\s*d)?$`)
	clockRE   = regexp.MustCompile(`^(\d{1,2}):(\d{2})(?::(\d{2}))?$`)
	nowRE     = regexp.MustCompile(`^now\s*(?:([+-])\s*(\S+))?$`)
	refNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
)

// parseDate reads a date: yyyy-mm-dd, or today, tomorrow, yesterday, +3d, -2d, today+7d.
func parseDate(s string) (dateExpr, error) {
	s = strings.TrimSpace(s)
	if _, err := time.Parse(time.DateOnly, s); err == nil {
		return dateExpr{fixed: s}, nil
	}
	days, ok := relativeDays(s)
	if !ok {
		return dateExpr{}, fmt.Errorf("%q is not a date: use yyyy-mm-dd, today, tomorrow, yesterday, +3d or today-2d", s)
	}
	return dateExpr{days: days}, nil
}

func relativeDays(s string) (int, bool) {
	m := relDayRE.FindStringSubmatch(strings.ToLower(s))
	if m == nil || (m[1] == "" && m[2] == "") {
		return 0, false
	}
	days := map[string]int{"": 0, "today": 0, "tomorrow": 1, "yesterday": -1}[m[1]]
	if m[2] != "" {
		n, err := strconv.Atoi(m[3])
		if err != nil {
			return 0, false
		}
		if m[2] == "-" {
			n = -n
		}
		days += n
	}
	return days, true
}

// parseClock reads a time of day: 9:00, 09:00 or 09:00:30.
func parseClock(s string) (time.Duration, bool) {
	m := clockRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	sec := 0
	if m[3] != "" {
		sec, _ = strconv.Atoi(m[3])
	}
	if h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(sec)*time.Second, true
}

// parseDateTime reads a date and time: "2026-12-02 09:00", "today 9:00", "tomorrow 14:30", "+2d 8:00",
// "9:00" (today), "now" or "now+15m" (the step's own time, plus or minus a duration).
func parseDateTime(s string) (dateTimeExpr, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not a date and time: use yyyy-mm-dd hh:mm, today 9:00, tomorrow 14:30, +2d 8:00, 9:00 or now+15m", s)
	for _, layout := range []string{time.DateTime, "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return dateTimeExpr{fixed: t.Format(time.DateTime)}, nil
		}
	}
	if m := nowRE.FindStringSubmatch(strings.ToLower(s)); m != nil {
		var off time.Duration
		if m[1] != "" {
			d, err := time.ParseDuration(m[2])
			if err != nil {
				return dateTimeExpr{}, bad
			}
			off = d
			if m[1] == "-" {
				off = -d
			}
		}
		return dateTimeExpr{fromNow: true, offset: off}, nil
	}
	day, clock := "", s
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		day, clock = strings.TrimSpace(s[:i]), s[i+1:]
	}
	c, ok := parseClock(clock)
	if !ok {
		return dateTimeExpr{}, bad
	}
	if day == "" {
		return dateTimeExpr{clock: c}, nil
	}
	if _, err := time.Parse(time.DateOnly, day); err == nil {
		t, _ := time.Parse(time.DateOnly, day)
		return dateTimeExpr{fixed: t.Add(c).Format(time.DateTime)}, nil
	}
	days, ok := relativeDays(day)
	if !ok {
		return dateTimeExpr{}, bad
	}
	return dateTimeExpr{days: days, clock: c}, nil
}

// columnValue reads the YAML value of one column of table t.
func columnValue(n *yaml.Node, t *frontdesk.Table, c *frontdesk.Column) (expr, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("%s: expected a single value, not a %s", c.Name, kindName(n))
	}
	v := n.Value
	if n.Tag == "!!null" {
		v = ""
	}
	if c.Kind == frontdesk.Int && strings.HasPrefix(v, "$") {
		return parseRef(v, c.Ref)
	}
	switch c.Kind {
	case frontdesk.Stamp:
		return nil, fmt.Errorf("%s is a timestamp MySQL sets; it cannot be written", c.Name)
	case frontdesk.Int:
		switch n.Tag {
		case "!!int":
			i, err := strconv.ParseInt(v, 0, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a whole number", c.Name, v)
			}
			return literal{i}, nil
		case "!!bool":
			b, _ := strconv.ParseBool(strings.ToLower(v))
			return literal{b}, nil
		}
		switch {
		case c.Enum != nil:
			i, err := c.EnumValue(v)
			if err != nil {
				return nil, err
			}
			return literal{int64(i)}, nil
		case c.DefCategory != 0:
			return literal{frontdesk.DefName(v)}, nil
		}
		return nil, fmt.Errorf("%s: %q is not a whole number", c.Name, v)
	case frontdesk.Float:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a number", c.Name, v)
		}
		return literal{f}, nil
	case frontdesk.Date:
		d, err := parseDate(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		return d, nil
	case frontdesk.DateTime:
		d, err := parseDateTime(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		return d, nil
	case frontdesk.Time:
		d, ok := parseClock(v)
		if !ok {
			return nil, fmt.Errorf("%s: %q is not a time of day (hh:mm or hh:mm:ss)", c.Name, v)
		}
		return literal{fmt.Sprintf("%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)}, nil
	}
	if strings.Contains(v, "{{n}}") {
		return textExpr{v}, nil
	}
	return literal{v}, nil
}

// parseRef reads `$name`, a reference to the row a named step wrote.
func parseRef(v, table string) (expr, error) {
	name := strings.TrimPrefix(v, "$")
	if !refNameRE.MatchString(name) {
		return nil, fmt.Errorf("%q is not a reference: write $ and a step's name", v)
	}
	return refExpr{name: name, table: table}, nil
}

// rowValue reads a reference to a row of table: a number (an existing row, such as one of the demo
// practice's) or $name.
func rowValue(n *yaml.Node, table string) (expr, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("expected a %s: a number or $name, not a %s", table, kindName(n))
	}
	if strings.HasPrefix(n.Value, "$") {
		return parseRef(n.Value, table)
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil || i <= 0 || n.Tag != "!!int" {
		return nil, fmt.Errorf("%q is not a %s: give its number or $name of the step that wrote it", n.Value, table)
	}
	return literal{i}, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "value"
}
