package scenario_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/scenario"
)

// TestSimulateMakesChangesAtTheRate runs the synthetic front desk for five minutes of a fake clock at 30
// changes a minute: 150 changes, deterministic for a seed, and a real poller delivers them.
func TestSimulateMakesChangesAtTheRate(t *testing.T) {
	t.Parallel()
	run := func() (scenario.SimReport, []string, *world) {
		w := newWorld(t, engines[0])
		clock := &fakeClock{now: testStart}
		var kinds []string
		rep, err := scenario.Simulate(context.Background(), w.writer.SQL(), scenario.SimConfig{
			Rate: 30, Duration: 5 * time.Minute, Seed: 42, Clock: clock, Selector: w.selector(),
			OnChange: func(c scenario.Change) { kinds = append(kinds, c.Kind+" "+c.Detail) },
		})
		if err != nil {
			t.Fatal(err)
		}
		return rep, kinds, w
	}
	rep, kinds, w := run()
	if rep.Changes+rep.Refused != 150 || rep.Changes < 125 {
		t.Errorf("%d changes and %d refused, want 150 in all, few refused", rep.Changes, rep.Refused)
	}
	for _, k := range []string{"add-patient", "book-appointment", "confirm-appointment", "arrive", "complete-appointment", "set-patfield"} {
		if rep.ByKind[k] == 0 {
			t.Errorf("no %s among %v", k, rep.ByKind)
		}
	}
	_, again, _ := run()
	if strings.Join(kinds, "\n") != strings.Join(again, "\n") {
		t.Errorf("the same seed made different changes")
	}
	w.pollAll()
	if n := len(eventSet(t, w.rc.requests())); n < 50 {
		t.Errorf("%d distinct events delivered, want the simulation's changes", n)
	}
}
