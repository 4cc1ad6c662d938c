package scenario_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/odsim/odsim/scenario"
)

// TestParseErrorsNameFileLineAndStep checks that every kind of problem Parse finds is reported with
// the file, the line and the step, before anything runs.
func TestParseErrorsNameFileLineAndStep(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		yaml string
		want string
	}{
		{"malformed YAML", "steps:\n  - add-patient: {LName: Doe\n", "bad.yaml:2: malformed YAML: did not find expected ',' or '}'"},
		{"unclosed list", "steps:\n  - sql: [SELECT 1\n  - sql: SELECT 2\n", "bad.yaml:2: malformed YAML"},
		{"duplicate key", "steps:\n  - sql: SELECT 1\n    at: 1s\n    at: 2s\n", "bad.yaml:4: step 1: at is given twice"},
		{"tab indentation", "steps:\n\t- sql: SELECT 1\n", "bad.yaml:2: malformed YAML"},
		{"no steps", "name: x\n", "bad.yaml:1: steps: a scenario needs a list of steps"},
		{"unknown top-level key", "nmae: x\nsteps:\n  - sql: SELECT 1\n", `bad.yaml:1: unknown key "nmae"`},
		{"unknown operation", "steps:\n  - sql: SELECT 1\n  - fly-to-moon: {}\n", `bad.yaml:3: step 2 (fly-to-moon): unknown operation "fly-to-moon"`},
		{"two operations", "steps:\n  - sql: SELECT 1\n    add-patient: {}\n", "bad.yaml:3: step 1 (sql): a step has one operation"},
		{"no operation", "steps:\n  - name: x\n    at: 1s\n", "bad.yaml:2: step 1 \"x\": no operation"},
		{"bad duration", "steps:\n  - at: 90x\n    sql: SELECT 1\n", `bad.yaml:2: step 1 (sql): at: "90x" is not a duration`},
		{"bad cron", "duration: 1h\nsteps:\n  - every: \"*/10 25 * * *\"\n    sql: SELECT 1\n", `bad.yaml:3: step 1 (sql): every: "*/10 25 * * *" is not a cron schedule`},
		{"unbounded repeat", "steps:\n  - every: \"*/10 * * * *\"\n    sql: SELECT 1\n", "bad.yaml:2: step 1 (sql): a repeating step needs until: or times:"},
		{"times without every", "steps:\n  - times: 3\n    sql: SELECT 1\n", "bad.yaml:2: step 1 (sql): until and times belong to a repeating step"},
		{"bad start", "start: 25:00\nsteps:\n  - sql: SELECT 1\n", `bad.yaml:1: start: "25:00" is not a time of day`},
		{"undefined reference", "steps:\n  - book-appointment: {PatNum: $nobody, Op: 1, AptDateTime: today 9:00}\n",
			"bad.yaml:2: step 1 (book-appointment): bad reference $nobody: no step is named nobody"},
		{"reference to a later step", "steps:\n  - arrive: {appointment: $visit}\n  - name: visit\n    book-appointment: {PatNum: 1, Op: 1, AptDateTime: today 9:00}\n",
			"bad.yaml:2: step 1 (arrive): bad reference $visit: step 2 comes later in the file"},
		{"reference of the wrong table", "steps:\n  - name: jane\n    add-patient: {LName: Doe, FName: Jane}\n  - arrive: {appointment: $jane}\n",
			"bad.yaml:4: step 2 (arrive): bad reference $jane: step 1 (add-patient) gives a patient row, and this needs a appointment row"},
		{"reference to a step that happens later", "steps:\n  - name: jane\n    at: 1m\n    add-patient: {LName: Doe, FName: Jane}\n  - at: 30s\n    select-patient: {patient: $jane}\n",
			"bad.yaml:6: step 2 (select-patient): bad reference $jane: step 1 first runs at 1m0s"},
		{"reference to a step without a row", "steps:\n  - name: q\n    sql: SELECT 1\n  - select-patient: {patient: $q}\n",
			"bad.yaml:4: step 2 (select-patient): bad reference $q: step 1 (sql) writes no row"},
		{"duplicate name", "steps:\n  - name: a\n    sql: SELECT 1\n  - name: a\n    sql: SELECT 2\n", `bad.yaml:4: step 2 "a" (sql): the name "a" is already used by step 1`},
		{"unknown column", "steps:\n  - add-patient: {LName: Doe, Nmae: Jane}\n", `bad.yaml:2: step 1 (add-patient): add-patient: unknown parameter or patient column "Nmae"`},
		{"timestamp column", "steps:\n  - add-patient: {LName: Doe, DateTStamp: now}\n", "bad.yaml:2: step 1 (add-patient): DateTStamp is a timestamp MySQL sets"},
		{"bad enum name", "steps:\n  - add-patient: {LName: Doe, Gender: Robot}\n", `bad.yaml:2: step 1 (add-patient): Gender: "Robot" is not one of Male, Female, Unknown, Other`},
		{"bad date", "steps:\n  - book-appointment: {PatNum: 1, Op: 1, AptDateTime: tomorow 9:00}\n", `AptDateTime: "tomorow 9:00" is not a date and time`},
		{"bad number", "steps:\n  - update-patient: {patient: jane, LName: Doe}\n", `bad.yaml:2: step 1 (update-patient): patient: "jane" is not a patient`},
		{"unknown parameter", "steps:\n  - complete-appointment: {appointment: 5, when: now}\n", `bad.yaml:2: step 1 (complete-appointment): complete-appointment: unknown parameter "when"`},
		{"missing parameter", "steps:\n  - arrive: {time: now}\n", "bad.yaml:2: step 1 (arrive): arrive needs appointment"},
		{"bad length", "steps:\n  - book-appointment: {PatNum: 1, length: 7m}\n", `length: "7m" is not a length in 5-minute steps`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := scenario.Parse("bad.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", c.yaml)
			}
			var list scenario.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T is not an ErrorList: %v", err, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error:\n  %v\nwant it to contain:\n  %s", err, c.want)
			}
		})
	}
}

func TestParseReportsEveryProblemInLineOrder(t *testing.T) {
	t.Parallel()
	src := "steps:\n  - at: 1x\n    sql: SELECT 1\n  - add-patient: {Gender: Robot}\n  - arrive: {appointment: $none}\n"
	_, err := scenario.Parse("many.yaml", []byte(src))
	var list scenario.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("err = %v", err)
	}
	var lines []int
	for _, e := range list {
		lines = append(lines, e.Line)
	}
	if !slices.Equal(lines, []int{2, 4, 5}) {
		t.Errorf("problems at lines %v, want [2 4 5]:\n%v", lines, err)
	}
}

func TestParseTimeline(t *testing.T) {
	t.Parallel()
	src := `name: timing
start: "08:00"
duration: 2h
steps:
  - name: first
    add-patient: {LName: Doe, FName: Jane}
  - at: 90s
    update-patient: {patient: $first, HmPhone: "555-0100"}
  - update-patient: {patient: $first, WkPhone: "555-0101"}
  - every: "*/30 * * * *"
    update-patient: {patient: $first, Email: "jane{{n}}@example.com"}
  - every: "0 * * * *"
    at: 30m
    times: 1
    update-patient: {patient: $first, Zip: "62704"}
`
	sc, err := scenario.Parse("timing.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "timing" || *sc.StartOfDay != 8*60*60e9 {
		t.Errorf("name %q, start %v", sc.Name, sc.StartOfDay)
	}
	var at []string
	for _, s := range sc.Steps {
		at = append(at, s.At.String())
	}
	// A step without at runs with the step before it; a repeating step without at starts at 0.
	if want := []string{"0s", "1m30s", "1m30s", "0s", "30m0s"}; !slices.Equal(at, want) {
		t.Errorf("step offsets %v, want %v", at, want)
	}
}

// TestBuiltinRegistryMatchesFiles keeps the registry of built-in scenarios and the files in builtin/
// consistent: one file per entry, the file's name: equal to the entry, and every file parses.
func TestBuiltinRegistryMatchesFiles(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("builtin", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, f := range files {
		onDisk = append(onDisk, strings.TrimSuffix(filepath.Base(f), ".yaml"))
	}
	var registered []string
	for _, b := range scenario.Builtins() {
		registered = append(registered, b.Name)
		if b.Summary == "" {
			t.Errorf("built-in %s has no summary", b.Name)
		}
		sc, err := scenario.LoadBuiltin(b.Name)
		if err != nil {
			t.Errorf("built-in %s: %v", b.Name, err)
			continue
		}
		if sc.Name != b.Name {
			t.Errorf("builtin/%s.yaml says name: %s", b.Name, sc.Name)
		}
		if sc.Description == "" {
			t.Errorf("builtin/%s.yaml has no description", b.Name)
		}
		src, err := os.ReadFile(filepath.Join("builtin", b.Name+".yaml"))
		if err != nil {
			t.Errorf("built-in %s has no file: %v", b.Name, err)
			continue
		}
		embedded, _ := scenario.BuiltinSource(b.Name)
		if string(src) != string(embedded) {
			t.Errorf("built-in %s: embedded source differs from the file", b.Name)
		}
	}
	slices.Sort(onDisk)
	slices.Sort(registered)
	if !slices.Equal(onDisk, registered) {
		t.Errorf("files in builtin/ %v, registry %v", onDisk, registered)
	}
}

func TestLoadFindsBuiltinsByNameAndFilesByPath(t *testing.T) {
	t.Parallel()
	if sc, err := scenario.Load("new-patient"); err != nil || sc.Name != "new-patient" {
		t.Errorf("Load(new-patient) = %v, %v", sc, err)
	}
	path := filepath.Join(t.TempDir(), "mine.yaml")
	if err := os.WriteFile(path, []byte("steps:\n  - sql: SELECT 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if sc, err := scenario.Load(path); err != nil || sc.Name != "mine" || sc.File != path {
		t.Errorf("Load(%s) = %+v, %v", path, sc, err)
	}
	if _, err := scenario.Load("no-such-scenario"); err == nil || !strings.Contains(err.Error(), "clinic-day") {
		t.Errorf("Load of an unknown name: err = %v, want one listing the built-ins", err)
	}
}

// A bad cron schedule's error keeps the parser's error in its chain.
func TestBadScheduleKeepsTheCause(t *testing.T) {
	t.Parallel()
	_, err := scenario.Parse("bad.yaml", []byte("steps:\n  - every: \"*/10 25 * * *\"\n    times: 2\n    add-patient: {LName: Doe}\n"))
	var list scenario.ErrorList
	if !errors.As(err, &list) || len(list) != 1 || errors.Unwrap(list[0].Err) == nil {
		t.Fatalf("err = %v, want one problem whose cause is kept", err)
	}
}
