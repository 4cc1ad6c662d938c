// Package scenario is odsim's fixture replay: scenario files that script an Open Dental front desk on a
// timeline (patients added, appointments booked, confirmed, seated, completed, broken, deleted, patients
// merged, ...) and run it against the database odsim polls, so that every event comes out of the real
// polling path instead of being a canned payload.
//
// A scenario is YAML (see docs/scenarios.md): named steps, each at a time offset (at: 90s) or on a cron
// schedule (every: "*/10 8-17 * * MON-FRI"), each one Open Dental operation carried out by package
// store/frontdesk in one transaction. Steps refer to the rows earlier steps wrote by name ($newpat), or
// to existing rows by number. Parse reads and checks a whole file before anything runs, so a malformed
// file, an unknown operation, a bad schedule or a reference to a step that does not exist changes
// nothing; Run then applies the steps in time order, at real speed or faster, and stops at the first step
// that fails, reporting the steps already applied. Every error names the file, the line and the step.
//
// The built-in scenarios (clinic-day, patient-merge, bulk-import, cancellations, new-patient) are
// embedded from builtin/ and run against odsim's demo practice; Load finds them by name and any other
// scenario by path. Simulate is the open-ended variant: a synthetic front desk making random but
// realistic changes at a chosen rate.
package scenario

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Scenario is a parsed scenario file.
type Scenario struct {
	Name        string
	Description string
	File        string // the file name errors report (the built-in's name for built-ins)
	// StartOfDay, when set, is the scenario clock's time of day at its start ("07:45"): a clinic day
	// starts before the doors open whatever time it is run. Nil: the scenario starts when it is run.
	StartOfDay *time.Duration
	// Duration bounds repeating steps that give neither until nor times.
	Duration time.Duration
	Steps    []*Step
}

// Step is one step of a scenario.
type Step struct {
	Index int    // 1-based position in the file
	Line  int    // line of the step in the file
	Name  string // "" when unnamed
	Op    string // the operation, e.g. "book-appointment"

	At    time.Duration // offset from the scenario's start (the first run of a repeating step)
	Every string        // cron spec of a repeating step, "" for a one-off step
	Until time.Duration // a repeating step's last possible offset; 0: the scenario's duration
	Times int           // a repeating step's maximum runs; 0: unbounded (until/duration bound it)

	action action
	table  string        // the table of the row the step writes or targets, "" when none
	sched  cron.Schedule // the parsed Every
	refs   []refUse      // the $names the step uses, for Parse's checks
}

// Describe names the step for messages: `step 7 "arrive-jane" (arrive)` or `step 3 (book-appointment)`.
func (s *Step) Describe() string {
	if s.Op == "" {
		if s.Name != "" {
			return fmt.Sprintf("step %d %q", s.Index, s.Name)
		}
		return fmt.Sprintf("step %d", s.Index)
	}
	if s.Name != "" {
		return fmt.Sprintf("step %d %q (%s)", s.Index, s.Name, s.Op)
	}
	return fmt.Sprintf("step %d (%s)", s.Index, s.Op)
}

// Error is a problem with a scenario: a line of its file that could not be read, or a step that could
// not be applied. Step is nil for problems outside any step.
type Error struct {
	File string
	Line int
	Step *Step
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Step != nil {
		b.WriteString(e.Step.Describe())
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorList is every problem Parse found in a file, in line order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}
