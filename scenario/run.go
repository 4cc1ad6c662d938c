package scenario

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/odsim/odsim/clock"
	"github.com/odsim/odsim/store/frontdesk"
)

// MaxRuns bounds the step runs of one scenario, so that a repeating step with a tight schedule over a
// long duration is refused instead of running for ever.
const MaxRuns = 100_000

// PatientSelector fires the PatientSelected UI event: workstation selected patient patNum (workstation ""
// means odsim's only workstation). odsim's UI events, in process or through a running odsim's control
// API, provide it.
type PatientSelector interface {
	SelectPatient(ctx context.Context, workstation string, patNum int64) error
}

// SelectorFunc adapts a function to PatientSelector.
type SelectorFunc func(ctx context.Context, workstation string, patNum int64) error

// SelectPatient calls f.
func (f SelectorFunc) SelectPatient(ctx context.Context, workstation string, patNum int64) error {
	return f(ctx, workstation, patNum)
}

// WorkstationChecker is a PatientSelector that can tell, before a run, whether it can select a patient
// on a workstation ("" for the one a step that names none uses). Run asks it about every workstation a
// select-patient step names and refuses the scenario, before its first step writes anything, when one
// is not played: its PatientSelected events could never fire.
type WorkstationChecker interface {
	CheckWorkstation(ctx context.Context, workstation string) error
}

// CheckedSelector is a PatientSelector and WorkstationChecker made of two functions.
type CheckedSelector struct {
	Select SelectorFunc
	Check  func(ctx context.Context, workstation string) error
}

// SelectPatient calls Select.
func (s CheckedSelector) SelectPatient(ctx context.Context, workstation string, patNum int64) error {
	return s.Select(ctx, workstation, patNum)
}

// CheckWorkstation calls Check.
func (s CheckedSelector) CheckWorkstation(ctx context.Context, workstation string) error {
	return s.Check(ctx, workstation)
}

// checkWorkstations asks c about every workstation the select-patient steps of sc name, once each, and
// returns an *Error at the first step naming one that is refused. A name made from a template ({{n}})
// is known only when its step runs, and checked then by the selection itself.
func checkWorkstations(ctx context.Context, sc *Scenario, c WorkstationChecker) error {
	checked := map[string]bool{}
	for _, s := range sc.Steps {
		a, ok := s.action.(selectAction)
		if !ok {
			continue
		}
		ws := ""
		if a.workstation != nil {
			l, ok := a.workstation.(literal)
			if !ok {
				continue
			}
			ws = fmt.Sprint(l.v)
		}
		key := strings.ToUpper(ws)
		if checked[key] {
			continue
		}
		checked[key] = true
		if err := c.CheckWorkstation(ctx, ws); err != nil {
			return &Error{File: sc.File, Line: s.Line, Step: s, Err: fmt.Errorf("%w; the scenario was not started", err)}
		}
	}
	return nil
}

// Clock is the real time a run waits on (package clock); tests inject one that does not sleep.
type Clock = clock.Clock

// RealClock is the host clock.
type RealClock = clock.Real

// Options says how to run a scenario.
type Options struct {
	// Speed is how many times faster than real time the timeline runs: 1 is real time, 10 ten times
	// faster. 0 runs every step as soon as the one before it is done ("--speed max").
	Speed float64
	// Start is the scenario clock at the start: the time "now" means in the first step, and the date
	// "today" means. Zero: the real time when the run starts, moved to the scenario's start: time of
	// day when it has one.
	Start time.Time
	// Clock is what the run waits on; RealClock when nil.
	Clock Clock
	// Selector fires PatientSelected for select-patient steps; such steps fail without one.
	Selector PatientSelector
	// Progress is told about the run as it goes; nil for none.
	Progress Progress
}

// StepResult is one run of a step that was applied.
type StepResult struct {
	Step   *Step
	Run    int       // which run of a repeating step, from 1
	At     time.Time // the scenario clock when it ran
	Table  string    // the table of the row written or acted on, "" for none
	Num    int64     // that row's primary key
	Detail string    // what happened, for people: "AptNum 312", "no change (no event)", ...
}

// Report is what a run did.
type Report struct {
	Scenario *Scenario
	Start    time.Time // the scenario clock at the start
	Total    int       // step runs on the timeline
	Applied  []StepResult
	// Failed is the step that stopped the run, nil when none did.
	Failed *Step
}

// runner is one run's state.
type runner struct {
	desk     *frontdesk.Desk
	selector PatientSelector
}

// firing is one run of a step on the timeline.
type firing struct {
	step   *Step
	offset time.Duration
	run    int
}

// Timeline lists when each step runs for a scenario starting at start, in the order the runs happen
// (time, then file order).
func timeline(sc *Scenario, start time.Time) ([]firing, error) {
	var out []firing
	for _, s := range sc.Steps {
		if s.sched == nil {
			out = append(out, firing{s, s.At, 1})
			continue
		}
		end := s.Until
		if end == 0 {
			end = sc.Duration
		}
		last := start.Add(end)
		t := firstRun(s.sched, start.Add(s.At))
		for run := 1; !t.IsZero() && !t.After(last) && (s.Times == 0 || run <= s.Times); run++ {
			out = append(out, firing{s, t.Sub(start), run})
			if len(out) > MaxRuns {
				return nil, &Error{File: sc.File, Line: s.Line, Step: s,
					Err: fmt.Errorf("the timeline has more than %d step runs; shorten until:/duration: or give times:", MaxRuns)}
			}
			t = s.sched.Next(t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].offset != out[j].offset {
			return out[i].offset < out[j].offset
		}
		return out[i].step.Index < out[j].step.Index
	})
	return out, nil
}

// firstRun is when a repeating step first runs if it runs from from on: then, for "@every", whose runs
// count from the first; else the schedule's first time at or after it.
func firstRun(sched cron.Schedule, from time.Time) time.Time {
	if _, every := sched.(cron.ConstantDelaySchedule); every {
		return from
	}
	return sched.Next(from.Add(-time.Second))
}

// StartTime is the scenario clock's start for a run beginning at now: now itself, or today at the
// scenario's start: time of day.
func (sc *Scenario) StartTime(now time.Time) time.Time {
	if sc.StartOfDay == nil {
		return now.Truncate(time.Second)
	}
	y, m, d := now.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, now.Location()).Add(*sc.StartOfDay)
}

// Run applies sc to the Open Dental database db, each step at its time on the timeline (scaled by
// opts.Speed), and stops at the first step that fails. The report lists the step runs applied, also when
// the error is not nil; the error is then an *Error naming the file, line and step. A step that fails has
// written nothing: each operation is one checked transaction.
func Run(ctx context.Context, db *sql.DB, sc *Scenario, opts Options) (*Report, error) {
	clock := opts.Clock
	if clock == nil {
		clock = RealClock{}
	}
	begin := clock.Now()
	start := opts.Start
	if start.IsZero() {
		start = sc.StartTime(begin)
	}
	rep := &Report{Scenario: sc, Start: start}
	plan, err := timeline(sc, start)
	if err != nil {
		return rep, err
	}
	rep.Total = len(plan)
	if opts.Progress != nil {
		opts.Progress.Begin(rep)
	}
	r := &runner{desk: frontdesk.New(db), selector: opts.Selector}
	e := &env{start: start, rows: map[string]row{}}
	var runErr error
	if c, ok := opts.Selector.(WorkstationChecker); ok {
		if err := checkWorkstations(ctx, sc, c); err != nil {
			var se *Error
			if errors.As(err, &se) {
				rep.Failed = se.Step
			}
			runErr, plan = err, nil
		}
	}
	for _, f := range plan {
		if opts.Speed > 0 {
			due := begin.Add(time.Duration(float64(f.offset) / opts.Speed))
			if d := due.Sub(clock.Now()); d > 0 {
				if err := clock.Sleep(ctx, d); err != nil {
					runErr = fmt.Errorf("stopped before %s: %w", f.step.Describe(), err)
					break
				}
			}
		}
		if err := ctx.Err(); err != nil {
			runErr = fmt.Errorf("stopped before %s: %w", f.step.Describe(), err)
			break
		}
		e.now, e.n = start.Add(f.offset), f.run
		out, err := f.step.action.run(ctx, r, e)
		if err != nil {
			rep.Failed = f.step
			runErr = &Error{File: sc.File, Line: f.step.Line, Step: f.step, Err: err}
			break
		}
		if f.step.Name != "" && out.row.table != "" {
			e.rows[f.step.Name] = out.row
		}
		res := StepResult{Step: f.step, Run: f.run, At: e.now, Table: out.row.table, Num: out.row.num, Detail: out.detail}
		rep.Applied = append(rep.Applied, res)
		if opts.Progress != nil {
			opts.Progress.Applied(rep, res)
		}
	}
	if opts.Progress != nil {
		opts.Progress.End(rep, runErr)
	}
	return rep, runErr
}
