package scenario_test

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/odsim/odsim/scenario"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the MariaDB runs")

// digestAbove is the number of events past which a golden file holds a digest of the event set
// (counts per event type, SHA-256 of the lines, the first and last lines) instead of every line, so
// that bulk-import's 3,500 appointments do not put megabytes in the repository.
const digestAbove = 500

// TestBuiltinScenariosDeliverGoldenEvents runs each shipped scenario at --speed max on the demo
// practice, against MariaDB and the embedded engine, with a real poller and odsim's UI events posting
// to a loopback receiver, and compares the set of delivered events (event type, primary key, final
// field values) with testdata/golden/<scenario>.events. With -update the files are rewritten from
// the MariaDB runs and nothing is compared: a file is never compared with itself.
// Then it runs the scenario again on the same database, as a user trying it twice would (issue 17 §4).
func TestBuiltinScenariosDeliverGoldenEvents(t *testing.T) {
	t.Parallel()
	for _, b := range scenario.Builtins() {
		for _, e := range engines {
			t.Run(b.Name+"/"+e.name, func(t *testing.T) {
				t.Parallel()
				if *update && e.name != "mariadb" {
					t.Skip("-update rewrites the goldens from MariaDB and compares nothing; run again without -update")
				}
				w := newWorld(t, e)
				sc, err := scenario.LoadBuiltin(b.Name)
				if err != nil {
					t.Fatal(err)
				}
				rep, err := scenario.Run(context.Background(), w.writer.SQL(), sc, scenario.Options{
					Start:    sc.StartTime(testStart),
					Selector: w.selector(),
				})
				if err != nil {
					t.Fatalf("run: %v", err)
				}
				if len(rep.Applied) != rep.Total {
					t.Fatalf("applied %d of %d step runs", len(rep.Applied), rep.Total)
				}
				w.pollAll()
				reqs := w.rc.requests()
				if b.Name == "bulk-import" {
					if got := batchSizes(t, reqs, "WatchTable: Appointment"); !slices.Equal(got, []int{1000, 1000, 1000, 500}) {
						t.Errorf("Appointment batches = %v, want [1000 1000 1000 500]", got)
					}
				}
				got := golden(eventSet(t, reqs))
				path := filepath.Join("testdata", "golden", b.Name+".events")
				if *update && e.name == "mariadb" {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					t.Skipf("-update: rewrote %s; review the diff, then run without -update", path)
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("read golden file (run with -update to create it): %v", err)
				}
				if got != string(want) {
					t.Errorf("delivered events differ from %s (-want +got):\n%s", path, lineDiff(string(want), got))
				}
				if _, err := scenario.Run(context.Background(), w.writer.SQL(), sc, scenario.Options{Start: sc.StartTime(testStart), Selector: w.selector()}); err != nil {
					t.Errorf("a second run on the same database: %v", err)
				}
			})
		}
	}
}

// golden renders an event set as a golden file: every line, or a digest when there are many.
func golden(lines []string) string {
	if len(lines) <= digestAbove {
		return strings.Join(lines, "\n") + "\n"
	}
	counts := map[string]int{}
	var types []string
	for _, l := range lines {
		typ := l[:strings.LastIndex(l[:strings.Index(l, " {")], " ")]
		if counts[typ] == 0 {
			types = append(types, typ)
		}
		counts[typ]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# digest of %d events\n", len(lines))
	for _, typ := range types {
		fmt.Fprintf(&b, "# %s: %d\n", typ, counts[typ])
	}
	fmt.Fprintf(&b, "# sha256 of all lines: %x\n", sha256.Sum256([]byte(strings.Join(lines, "\n"))))
	for _, l := range lines[:3] {
		b.WriteString(l + "\n")
	}
	b.WriteString("...\n")
	b.WriteString(lines[len(lines)-1] + "\n")
	return b.String()
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	return b.String()
}
