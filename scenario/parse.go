package scenario

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// Keys a step has besides its one operation.
var stepKeys = []string{"name", "at", "every", "until", "times"}

// Parse reads a scenario file and checks everything that can be checked without a database: the YAML,
// the operations and their parameters, column names and value formats, times and cron schedules, and
// that every $name refers to an earlier step that writes a row of the right table. file names the
// scenario in errors. The error, when not nil, is an ErrorList naming the line and step of each problem.
func Parse(file string, data []byte) (*Scenario, error) {
	p := &parser{file: file}
	sc := p.parse(data)
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return sc, nil
}

type parser struct {
	file string
	errs ErrorList
}

// fail records a problem at node n (or at the line a lineError carries) in step s (nil for none).
func (p *parser) fail(n *yaml.Node, s *Step, err error) {
	line := 0
	if n != nil {
		line = n.Line
	}
	var le *lineError
	if errors.As(err, &le) {
		line, err = le.line, le.err
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Step: s, Err: err})
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *parser) parse(data []byte) *Scenario {
	sc := &Scenario{File: p.file, Name: defaultName(p.file)}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg, line := err.Error(), 0
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
			// yaml.v3 numbers lines from 1 for scanner errors but from 0 for parser errors, all of
			// which say "did not find expected ..." (the line is where the unfinished construct began).
			if strings.HasPrefix(msg, "did not find expected") {
				line++
			}
		}
		p.errs = append(p.errs, &Error{File: p.file, Line: line, Err: fmt.Errorf("malformed YAML: %s", msg)})
		return nil
	}
	if len(doc.Content) == 0 {
		p.fail(nil, nil, errors.New("empty file: a scenario needs steps"))
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.fail(root, nil, errors.New("a scenario is a mapping with steps: (and optionally name, description, start, duration)"))
		return nil
	}
	var steps *yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			p.fail(k, nil, fmt.Errorf("%s is given twice", k.Value))
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "name":
			sc.Name = v.Value
		case "description":
			sc.Description = v.Value
		case "start":
			d, ok := parseClock(v.Value)
			if !ok {
				p.fail(v, nil, fmt.Errorf("start: %q is not a time of day (hh:mm)", v.Value))
				continue
			}
			sc.StartOfDay = &d
		case "duration":
			d, err := parseOffset(v.Value)
			if err != nil {
				p.fail(v, nil, fmt.Errorf("duration: %w", err))
				continue
			}
			sc.Duration = d
		case "steps":
			steps = v
		default:
			p.fail(k, nil, fmt.Errorf("unknown key %q: a scenario has name, description, start, duration and steps", k.Value))
		}
	}
	if steps == nil || steps.Kind != yaml.SequenceNode || len(steps.Content) == 0 {
		n := root
		if steps != nil {
			n = steps
		}
		p.fail(n, nil, errors.New("steps: a scenario needs a list of steps"))
		return nil
	}
	var prev time.Duration
	for i, n := range steps.Content {
		s := p.step(sc, i+1, n, prev)
		if s == nil {
			continue
		}
		sc.Steps = append(sc.Steps, s)
		prev = s.At
	}
	p.checkRefs(sc)
	return sc
}

// defaultName is a scenario's name when the file gives none: the file name without directory and
// extension.
func defaultName(file string) string {
	if i := strings.LastIndexAny(file, `/\`); i >= 0 {
		file = file[i+1:]
	}
	for _, ext := range []string{".yaml", ".yml"} {
		file = strings.TrimSuffix(file, ext)
	}
	return file
}

// parseOffset reads a time offset: a Go duration (90s, 1m30s, 2h).
func parseOffset(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration: use a number with a unit, e.g. 90s, 5m, 1h30m", s)
	}
	return d, nil
}

// step reads one step. A step without at or every happens when the step before it does.
func (p *parser) step(sc *Scenario, index int, n *yaml.Node, prev time.Duration) *Step {
	s := &Step{Index: index, Line: n.Line, At: prev}
	if n.Kind != yaml.MappingNode {
		p.fail(n, nil, fmt.Errorf("step %d: a step is a mapping with one operation, e.g. add-patient: {...}", index))
		return nil
	}
	var opKey, opVal *yaml.Node
	var at, every, until, times *yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			p.fail(k, s, fmt.Errorf("%s is given twice", k.Value))
			return nil
		}
		seen[k.Value] = true
		switch k.Value {
		case "name":
			s.Name = v.Value
			if !refNameRE.MatchString(s.Name) {
				p.fail(v, s, fmt.Errorf("name %q: use letters, digits, - and _, starting with a letter", s.Name))
			}
		case "at":
			at = v
		case "every":
			every = v
		case "until":
			until = v
		case "times":
			times = v
		default:
			if _, ok := operations[k.Value]; !ok {
				s.Op = k.Value
				p.fail(k, s, fmt.Errorf("unknown operation %q: the operations are %s (and a step may have %s)",
					k.Value, strings.Join(OperationNames(), ", "), strings.Join(stepKeys, ", ")))
				return nil
			}
			if opKey != nil {
				s.Op = opKey.Value
				p.fail(k, s, fmt.Errorf("a step has one operation; this one has %s and %s", opKey.Value, k.Value))
				return nil
			}
			opKey, opVal = k, v
		}
	}
	if opKey == nil {
		p.fail(n, s, errors.New("no operation: a step needs one, e.g. add-patient: {LName: Doe, FName: Jane}"))
		return nil
	}
	s.Op = opKey.Value
	spec := operations[s.Op]
	s.table = spec.table
	p.timing(sc, s, at, every, until, times)

	var ps *params
	var err error
	if s.Op == "sql" {
		ps = &params{op: s.Op, node: opVal}
	} else if ps, err = newParams(s.Op, opVal); err != nil {
		p.fail(opVal, s, err)
		return nil
	}
	if s.action, err = spec.parse(ps); err != nil {
		p.fail(opVal, s, err)
		return nil
	}
	s.refs = ps.refs
	return s
}

// timing reads a step's at, every, until and times.
func (p *parser) timing(sc *Scenario, s *Step, at, every, until, times *yaml.Node) {
	if at != nil {
		d, err := parseOffset(at.Value)
		if err != nil {
			p.fail(at, s, fmt.Errorf("at: %w", err))
		}
		s.At = d
	}
	if every == nil {
		for _, n := range []*yaml.Node{until, times} {
			if n != nil {
				p.fail(n, s, errors.New("until and times belong to a repeating step: add every:"))
			}
		}
		return
	}
	if at == nil {
		s.At = 0
	}
	sched, err := cron.ParseStandard(every.Value)
	if err != nil {
		p.fail(every, s, fmt.Errorf("every: %q is not a cron schedule (minute hour day-of-month month day-of-week, e.g. \"*/10 8-17 * * MON-FRI\"): %w", every.Value, err))
		return
	}
	s.Every, s.sched = every.Value, sched
	if until != nil {
		d, err := parseOffset(until.Value)
		if err != nil {
			p.fail(until, s, fmt.Errorf("until: %w", err))
		}
		s.Until = d
	}
	if times != nil {
		t, err := strconv.Atoi(times.Value)
		if err != nil || t < 1 {
			p.fail(times, s, fmt.Errorf("times: %q is not a positive whole number", times.Value))
		}
		s.Times = t
	}
	if until == nil && times == nil && sc.Duration == 0 {
		p.fail(every, s, errors.New("a repeating step needs until: or times:, or the scenario a duration:"))
	}
}

// checkRefs checks every $name: it must be an earlier step, with a name given once, that writes a row,
// of the table the value needs, and that first runs no later than the step using it.
func (p *parser) checkRefs(sc *Scenario) {
	byName := map[string]*Step{}
	for _, s := range sc.Steps {
		if s.Name == "" {
			continue
		}
		if other, dup := byName[s.Name]; dup {
			p.errs = append(p.errs, &Error{File: p.file, Line: s.Line, Step: s,
				Err: fmt.Errorf("the name %q is already used by step %d", s.Name, other.Index)})
			continue
		}
		byName[s.Name] = s
	}
	for _, s := range sc.Steps {
		for _, u := range s.refs {
			def, ok := byName[u.ref.name]
			fail := func(format string, args ...any) {
				p.errs = append(p.errs, &Error{File: p.file, Line: u.line, Step: s, Err: fmt.Errorf(format, args...)})
			}
			switch {
			case !ok:
				fail("bad reference $%s: no step is named %s", u.ref.name, u.ref.name)
			case def.Index >= s.Index:
				fail("bad reference $%s: step %d comes later in the file; a step can only refer to earlier steps", u.ref.name, def.Index)
			case def.table == "":
				fail("bad reference $%s: step %d (%s) writes no row to refer to", u.ref.name, def.Index, def.Op)
			case u.ref.table != "" && def.table != u.ref.table:
				fail("bad reference $%s: step %d (%s) gives a %s row, and this needs a %s row", u.ref.name, def.Index, def.Op, def.table, u.ref.table)
			case def.At > s.At:
				fail("bad reference $%s: step %d first runs at %s, after this step (%s)", u.ref.name, def.Index, def.At, s.At)
			}
		}
	}
	if len(p.errs) > 1 {
		sortErrors(p.errs)
	}
}

func sortErrors(l ErrorList) {
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && l[j].Line < l[j-1].Line; j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
}
