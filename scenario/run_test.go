package scenario_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/odsim/odsim/scenario"
	"github.com/odsim/odsim/store/demo"
)

// fakeClock is a Clock whose Sleep returns at once and moves the clock on: runs at a chosen speed take
// no real time, and the test sees how long they would have waited.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	slept  []time.Duration
	cancel func() // called on the n-th sleep when set
	at     int
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	n := len(c.slept)
	c.mu.Unlock()
	if c.cancel != nil && n == c.at {
		c.cancel()
	}
	return ctx.Err()
}

// demoDB is a fresh database with the demo practice, on the engine e.
func demoDB(t *testing.T, e engine) *sql.DB {
	t.Helper()
	db := e.open(t)
	if _, err := demo.Load(context.Background(), db.SQL(), demo.Options{}); err != nil {
		t.Fatalf("load demo practice: %v", err)
	}
	return db.SQL()
}

func mustParse(t *testing.T, file, src string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse(file, []byte(src))
	if err != nil {
		t.Fatalf("parse:\n%v", err)
	}
	return sc
}

func countRows(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestFailingStepStopsTheRun checks, for each kind of failure a database decides, that the run stops
// at the failing step with the file, line and step named, that the steps before it are reported as
// applied, and that the failing step wrote nothing.
func TestFailingStepStopsTheRun(t *testing.T) {
	t.Parallel()
	const head = `steps:
  - name: jane
    add-patient: {LName: Doe, FName: Jane}
  - name: visit
    book-appointment: {PatNum: $jane, Op: 1, AptDateTime: "today 9:00"}
`
	cases := []struct {
		name string
		step string // the third step, at line 6
		want string
	}{
		{"reference to a row that does not exist", "  - book-appointment: {PatNum: 9999, Op: 1, AptDateTime: \"today 9:00\"}\n",
			"appointment.PatNum: patient 9999 does not exist"},
		{"constraint: primary key taken", "  - book-appointment: {AptNum: 5, PatNum: $jane, Op: 1, AptDateTime: \"today 9:00\"}\n",
			"appointment 5 already exists"},
		{"unknown definition", "  - confirm-appointment: {appointment: $visit, confirmed: Maybe}\n",
			`no definition named "Maybe" in category 2`},
		{"patient field not defined", "  - set-patfield: {patient: $jane, field: Shoe Size, value: \"9\"}\n",
			`no patient field named "Shoe Size"`},
		{"break a broken appointment", "  - break-appointment: {appointment: 2}\n",
			"appointment 2 is Broken; only a Scheduled appointment can be broken"},
		{"no UI events", "  - select-patient: {patient: $jane}\n",
			"select-patient needs odsim's UI events"},
		{"SQL error", "  - sql: UPDATE patient SET Nope = 1 WHERE PatNum = $jane\n",
			"sql: Error"},
	}
	for _, e := range engines {
		for _, c := range cases {
			t.Run(e.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				db := demoDB(t, e)
				patients := countRows(t, db, "SELECT COUNT(*) FROM patient")
				sc := mustParse(t, "fail.yaml", head+c.step+"  - add-patient: {LName: Never, FName: Reached}\n")
				rep, err := scenario.Run(context.Background(), db, sc, scenario.Options{Start: testStart})
				var se *scenario.Error
				if !errors.As(err, &se) {
					t.Fatalf("err = %v, want a *scenario.Error", err)
				}
				if se.File != "fail.yaml" || se.Line != 6 || se.Step == nil || se.Step.Index != 3 {
					t.Errorf("error at %s:%d step %v, want fail.yaml:6 step 3", se.File, se.Line, se.Step)
				}
				if !strings.HasPrefix(err.Error(), "fail.yaml:6: step 3 (") || !strings.Contains(err.Error(), c.want) {
					t.Errorf("error %q does not name the place or contain %q", err, c.want)
				}
				if len(rep.Applied) != 2 || rep.Applied[0].Step.Name != "jane" || rep.Applied[1].Step.Name != "visit" || rep.Failed.Index != 3 {
					t.Errorf("report: %d applied, failed %v; want steps 1 and 2 applied, step 3 failed", len(rep.Applied), rep.Failed)
				}
				if n := countRows(t, db, "SELECT COUNT(*) FROM patient"); n != patients+1 {
					t.Errorf("%d patients after the run, want %d (step 4 must not run)", n, patients+1)
				}
				if n := countRows(t, db, "SELECT COUNT(*) FROM appointment WHERE PatNum = ?", rep.Applied[0].Num); n != 1 {
					t.Errorf("%d appointments for the new patient, want the one of step 2", n)
				}
			})
		}
	}
}

// TestFailingStepIsOneTransaction checks that a step whose second write fails leaves nothing of its
// first: a two-statement sql step. MyISAM, Open Dental's engine, cannot roll back, so on MariaDB the
// table is converted to InnoDB for this test (the operations also check everything before writing,
// which is what protects MyISAM; see store/frontdesk).
func TestFailingStepIsOneTransaction(t *testing.T) {
	t.Parallel()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			db := demoDB(t, e)
			if e.name == "mariadb" {
				if _, err := db.Exec("ALTER TABLE patient ENGINE=InnoDB"); err != nil {
					t.Fatal(err)
				}
			}
			sc := mustParse(t, "tx.yaml", `steps:
  - sql:
      - UPDATE patient SET LName = 'Half' WHERE PatNum = 1
      - INSERT INTO patient (PatNum) VALUES (1)
`)
			_, err := scenario.Run(context.Background(), db, sc, scenario.Options{Start: testStart})
			if err == nil || !strings.Contains(err.Error(), "tx.yaml:2: step 1 (sql): sql statement 2:") {
				t.Fatalf("err = %v, want statement 2 of step 1 to fail", err)
			}
			var name string
			if err := db.QueryRow("SELECT LName FROM patient WHERE PatNum = 1").Scan(&name); err != nil {
				t.Fatal(err)
			}
			if name != "Anderson" {
				t.Errorf("LName = %q after the failed step, want Anderson", name)
			}
		})
	}
}

// TestRunWaitsOnTheScaledTimeline runs a scenario at --speed 10 on a fake clock: the run waits each
// step's offset divided by ten, and the scenario clock ("now", cron runs) follows the timeline.
func TestRunWaitsOnTheScaledTimeline(t *testing.T) {
	t.Parallel()
	db := demoDB(t, engines[1])
	sc := mustParse(t, "speed.yaml", `start: "08:00"
steps:
  - name: visit
    book-appointment: {PatNum: 1, Op: 1, AptDateTime: "today 9:00"}
  - at: 50m
    arrive: {appointment: $visit}
  - at: 60m
    seat: {appointment: $visit, time: now+2m}
  - every: "*/20 9-10 * * *"
    until: 3h
    update-appointment: {appointment: $visit, Note: "check {{n}}"}
`)
	clock := &fakeClock{now: time.Date(2030, 1, 1, 15, 0, 0, 0, time.UTC)}
	var lines strings.Builder
	rep, err := scenario.Run(context.Background(), db, sc, scenario.Options{
		Speed: 10, Start: sc.StartTime(testStart), Clock: clock, Progress: scenario.Lines{W: &lines},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Runs at 0, 50m, 60m, then 9:00, 9:20, ..., 10:40 (six runs): the sleeps add up to 160m / 10.
	var total time.Duration
	for _, d := range clock.slept {
		total += d
	}
	if total != 16*time.Minute || rep.Total != 9 || len(rep.Applied) != 9 {
		t.Errorf("slept %v over %d sleeps, %d of %d runs applied; want 16m0s, 9 runs\n%s", total, len(clock.slept), len(rep.Applied), rep.Total, lines.String())
	}
	var got [3]string
	if err := db.QueryRow("SELECT DateTimeArrived, DateTimeSeated, Note FROM appointment WHERE AptNum = ?", rep.Applied[0].Num).Scan(&got[0], &got[1], &got[2]); err != nil {
		t.Fatal(err)
	}
	if want := [3]string{"2026-12-02 08:50:00", "2026-12-02 09:02:00", "check 6"}; got != want {
		t.Errorf("appointment (arrived, seated, note) = %v, want %v", got, want)
	}
	if !strings.Contains(lines.String(), "[9/9] 10:40:00  step 4 (update-appointment) run 6: AptNum") {
		t.Errorf("progress lines:\n%s", lines.String())
	}
}

func TestRunStopsWhenCanceled(t *testing.T) {
	t.Parallel()
	db := demoDB(t, engines[1])
	sc := mustParse(t, "cancel.yaml", `steps:
  - update-patient: {patient: 1, HmPhone: "1"}
  - at: 1m
    update-patient: {patient: 1, HmPhone: "2"}
  - at: 2m
    update-patient: {patient: 1, HmPhone: "3"}
`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := &fakeClock{now: testStart, cancel: cancel, at: 2}
	rep, err := scenario.Run(ctx, db, sc, scenario.Options{Speed: 1, Start: testStart, Clock: clock})
	if !errors.Is(err, context.Canceled) || len(rep.Applied) != 2 {
		t.Fatalf("err = %v with %d applied; want context.Canceled after 2", err, len(rep.Applied))
	}
}

// A scenario whose select-patient step names a workstation odsim does not play is refused before its
// first step writes anything: its PatientSelected could never fire (issue 17 §4).
func TestUnplayedWorkstationIsRefusedBeforeTheFirstStep(t *testing.T) {
	t.Parallel()
	w := newWorld(t, engines[1])
	patients := countRows(t, w.db.SQL(), "SELECT COUNT(*) FROM patient")
	sc := mustParse(t, "ws.yaml", `steps:
  - name: jane
    add-patient: {LName: Doe, FName: Jane}
  - at: 1m
    select-patient: {patient: $jane, workstation: FRONTDESK}
  - at: 2m
    select-patient: {patient: $jane, workstation: BACKOFFICE}
`)
	var lines strings.Builder
	rep, err := scenario.Run(context.Background(), w.writer.SQL(), sc, scenario.Options{Start: testStart, Selector: w.selector(), Progress: scenario.Lines{W: &lines}})
	if err == nil || !strings.Contains(err.Error(), `ws.yaml:6: step 3 (select-patient): workstation "BACKOFFICE" is not one odsim plays`) {
		t.Fatalf("err = %v, want step 3 refused for its workstation", err)
	}
	if len(rep.Applied) != 0 || rep.Failed == nil || rep.Failed.Index != 3 {
		t.Errorf("report: %d applied, failed %v; want nothing applied and step 3 named", len(rep.Applied), rep.Failed)
	}
	if n := countRows(t, w.db.SQL(), "SELECT COUNT(*) FROM patient"); n != patients {
		t.Errorf("%d patients after the refusal, want %d: the first step was written", n, patients)
	}
	if !strings.Contains(lines.String(), "FAILED after 0 of 3 step runs applied") {
		t.Errorf("progress:\n%s", lines.String())
	}
	// The same scenario on the workstation odsim plays runs.
	sc = mustParse(t, "ws.yaml", `steps:
  - name: jane
    add-patient: {LName: Doe, FName: Jane}
  - select-patient: {patient: $jane, workstation: frontdesk}
`)
	if _, err := scenario.Run(context.Background(), w.writer.SQL(), sc, scenario.Options{Start: testStart, Selector: w.selector()}); err != nil {
		t.Errorf("a played workstation (in another case): %v", err)
	}
}

// odsim serve's scenario runs refuse such a scenario with the request: no run starts.
func TestManagerRefusesAnUnplayedWorkstation(t *testing.T) {
	t.Parallel()
	w := newWorld(t, engines[1])
	m := scenario.NewManager(scenario.ManagerConfig{DB: w.writer.SQL(), Selector: w.selector()})
	t.Cleanup(m.Close)
	sc := mustParse(t, "ws.yaml", `steps:
  - name: jane
    add-patient: {LName: Doe, FName: Jane}
  - select-patient: {patient: $jane, workstation: BACKOFFICE}
`)
	var se *scenario.Error
	if _, err := m.Start(sc, scenario.Options{Start: testStart}); !errors.As(err, &se) || se.Step == nil || se.Step.Index != 2 {
		t.Fatalf("Start = %v, want step 2 refused", err)
	}
	if runs := m.Runs(); len(runs) != 0 {
		t.Errorf("runs after the refusal: %+v", runs)
	}
}
