package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/odsim/odsim/store/storetest"
)

// TestMain lets this test binary also be the writer and the recorder: the harness starts it again with
// FAULTS_ROLE set, as the command starts itself.
func TestMain(m *testing.M) {
	if role := os.Getenv("FAULTS_ROLE"); role != "" {
		os.Exit(runRole(context.Background(), role, os.Args[1:]))
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir) // the odsim binary odsimBinary built (80 MB)
	}
	os.Exit(code)
}

// allCases runs every fault case in TestFaults, as CI does in a step of its own after the unit tests
// (.ci/run): go test ./bench/faults -run TestFaults -args -all.
var allCases = flag.Bool("all", false, "run the short form of every fault case (default: the baseline and the SIGKILL case)")

// quickCases are the cases go test runs without -all: the harness end to end, and odsim killed.
var quickCases = []string{"none", "odsim-sigkill"}

var (
	buildOnce sync.Once
	binDir    string
	odsimBin  string
	buildErr  error
)

func odsimBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "odsim-faults-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binDir = dir
		odsimBin, buildErr = buildOdsim(context.Background(), dir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return odsimBin
}

// TestFaults runs the short form of fault cases (8 s of writing, 4 s faults, 3 kills) with the real
// odsim binary, the writer and the recorder as processes, and checks that nothing is lost, no row falls
// in the in-flight gap, every cursor catches up, odsim exits 0 on SIGTERM, and no key or URL
// credential reaches odsim's log. By default it runs quickCases, so that go test ./... stays quick;
// -all runs every case (CI's own step); the long form is `go run ./bench/faults` (README.md).
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault harness runs real processes; skipped with -short")
	}
	storetest.RequireServer(t)
	bin := odsimBinary(t)
	for _, c := range faultCases {
		if !*allCases && !slices.Contains(quickCases, c.name) {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if c.privateDB {
				if _, _, err := findMariaDB(); err != nil {
					if os.Getenv("ODSIM_REQUIRE_MYSQL") == "1" {
						t.Fatalf("%v, and ODSIM_REQUIRE_MYSQL=1", err)
					}
					t.Skipf("needs a private MariaDB server: %v", err)
				}
			}
			var progress strings.Builder
			e := env{odsim: bin, self: []string{os.Args[0]}, serverDSN: storetest.ServerDSN(), dir: t.TempDir(), progress: &progress}
			res, err := runCase(context.Background(), e, c, shortScale())
			if errors.Is(err, errNoMariaDB) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, progress.String())
			}
			var details strings.Builder
			writeDetails(&details, []result{res})
			t.Log(details.String())
			if !res.OK() {
				t.Errorf("case failed:%s", details.String())
			}
			if c.name == "odsim-sigkill" && res.OdsimStarts < 2 {
				t.Errorf("odsim was never killed: %s", details.String())
			}
		})
	}
}

// The checker must notice a change that never arrived, and must not count a later version's delivery
// as anything but a delivery of the earlier ones.
func TestCheckerFindsLoss(t *testing.T) {
	t.Parallel()
	subs := []subscription{
		{Num: 1, Table: "Appointment", Path: "/a/Appointment"},
		{Num: 2, Table: "AppointmentDeleted", Path: "/a/AppointmentDeleted"},
		{Num: 3, Table: "Patient", Path: "/a/Patient"},
	}
	cl := changeLog{
		changes: []change{
			{"Appointment", 10, 1, false}, {"Appointment", 10, 5, false}, // version 5 supersedes 1
			{"Appointment", 11, 2, false},                      // never delivered: lost
			{"Appointment", 12, 3, false},                      // deleted later: superseded
			{"Patient", 7, 4, false}, {"Patient", 7, 6, false}, // only 4 delivered: 6 lost
			{"Patient", 8, 7, true}, // never delivered, its statement ran across a second: in-flight gap
		},
		histRows:     []change{{"AppointmentDeleted", 100, 0, false}, {"AppointmentDeleted", 101, 0, false}}, // 101 never delivered: lost
		deleted:      map[int64]bool{12: true},
		maybeDeleted: map[int64]bool{},
	}
	recs := []recordLine{
		{Path: "/a/Appointment", Table: "Appointment", Status: 200, Acked: true, Elements: []element{{10, 5}}},
		{Path: "/a/Appointment", Table: "Appointment", Status: 200, Acked: true, Elements: []element{{10, 5}}}, // duplicate
		{Path: "/a/Appointment", Table: "Appointment", Status: 500, Elements: nil},
		{Path: "/a/AppointmentDeleted", Table: "AppointmentDeleted", Status: 200, Acked: true, Elements: []element{{100, 0}}},
		{Path: "/a/Patient", Table: "Patient", Status: 200, Acked: true, Elements: []element{{7, 4}}},
	}
	var r result
	r.check(cl, recs, subs)
	if r.Lost != 3 || r.InFlight != 1 || r.Duplicates != 1 || r.Superseded != 1 || r.Expected != 9 || r.Failed != 1 || r.Posts != 5 {
		t.Errorf("lost %d in-flight %d duplicates %d superseded %d expected %d failed %d posts %d; want 3, 1, 1, 1, 9, 1, 5\n%v",
			r.Lost, r.InFlight, r.Duplicates, r.Superseded, r.Expected, r.Failed, r.Posts, r.LostExamples)
	}
}

func TestElements(t *testing.T) {
	t.Parallel()
	got, err := elements("Schedule", []byte(`[{"ScheduleNum":"24555","Note":"v12"},{"ScheduleNum":"3","Note":"other"}]`))
	if err != nil || len(got) != 2 || got[0] != (element{24555, 12}) || got[1] != (element{3, 0}) {
		t.Errorf("elements = %v, %v", got, err)
	}
	if _, err := elements("Appointment", []byte(`{"AptNum":1}`)); err == nil {
		t.Error("an object body was read as elements")
	}
}
