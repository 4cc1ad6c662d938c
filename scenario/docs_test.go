package scenario_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/scenario"
)

// prelude defines the names the documentation's examples refer to, for examples that do not define
// them themselves.
var prelude = []struct{ name, step string }{
	{"jane", "add-patient: {LName: Doc, FName: Jane}"},
	{"duplicate", "add-patient: {LName: Doc, FName: Duplicate}"},
	{"visit", "book-appointment: {PatNum: 1, Op: 1, AptDateTime: \"tomorrow 10:00\"}"},
	{"drlee", "add-provider: {Abbr: DocLee}"},
	{"op7", "add-operatory: {OpName: Doc Op}"},
	{"lunch", "add-schedule: {SchedDate: today}"},
}

var yamlBlockRE = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// TestDocumentedExamplesRun runs every YAML example of docs/scenarios.md against the demo practice:
// whole files as they are, and each operation's example after a prelude that defines the names it
// uses. An example that does not parse or fails is a documentation bug.
func TestDocumentedExamplesRun(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, engines[0])
	blocks := yamlBlockRE.FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 20 {
		t.Fatalf("found %d YAML examples in docs/scenarios.md", len(blocks))
	}
	for i, m := range blocks {
		src := m[1]
		if strings.Contains(src, "{...}") {
			continue // the format outline
		}
		if !strings.Contains(src, "steps:") {
			var b strings.Builder
			b.WriteString("steps:\n")
			for _, p := range prelude {
				if !strings.Contains(src, "name: "+p.name+"\n") {
					b.WriteString("  - name: " + p.name + "\n    " + p.step + "\n")
				}
			}
			for _, line := range strings.Split(strings.TrimRight(src, "\n"), "\n") {
				b.WriteString("  " + line + "\n")
			}
			src = b.String()
		}
		sc, err := scenario.Parse("example", []byte(src))
		if err != nil {
			t.Errorf("example %d does not parse:\n%s\n%v", i+1, src, err)
			continue
		}
		if _, err := scenario.Run(context.Background(), w.writer.SQL(), sc, scenario.Options{Start: sc.StartTime(testStart), Selector: w.selector()}); err != nil {
			t.Errorf("example %d fails:\n%s\n%v", i+1, src, err)
		}
	}
}

// clockRE finds the times of day a comment in the documentation promises: "9:00, 9:20, 9:40", or
// "9:00, 10:00, ..., 16:00" (the same step on to the last).
var clockRE = regexp.MustCompile(`\b(\d{1,2}):(\d{2})\b|\.\.\.`)

// promisedTimes reads the times of day of a comment, as "15:04", expanding "..." by the step between
// the first two.
func promisedTimes(t *testing.T, comment string) []string {
	t.Helper()
	var mins []int
	ellipsis := -1
	for _, m := range clockRE.FindAllStringSubmatch(comment, -1) {
		if m[0] == "..." {
			ellipsis = len(mins)
			continue
		}
		h, _ := strconv.Atoi(m[1])
		mi, _ := strconv.Atoi(m[2])
		mins = append(mins, h*60+mi)
	}
	if ellipsis >= 2 && ellipsis < len(mins) {
		step := mins[1] - mins[0]
		var filled []int
		for v := mins[ellipsis-1] + step; v < mins[ellipsis]; v += step {
			filled = append(filled, v)
		}
		mins = append(mins[:ellipsis], append(filled, mins[ellipsis:]...)...)
	}
	out := make([]string, len(mins))
	for i, m := range mins {
		out[i] = fmt.Sprintf("%02d:%02d", m/60, m%60)
	}
	return out
}

// TestDocumentedTimesArePrinted runs every timing example of docs/scenarios.md — the YAML examples
// whose steps promise times of day in a comment, and the progress lines shown for clinic-day — and
// compares the times the run prints with the documented ones.
func TestDocumentedTimesArePrinted(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, engines[1])
	examples := 0
	for _, m := range yamlBlockRE.FindAllStringSubmatch(string(doc), -1) {
		src := m[1]
		if !strings.Contains(src, "steps:") || !clockRE.MatchString(commentsOf(src)) {
			continue
		}
		examples++
		sc, err := scenario.Parse("timing.yaml", []byte(src))
		if err != nil {
			t.Fatalf("timing example does not parse:\n%s\n%v", src, err)
		}
		var out strings.Builder
		rep, err := scenario.Run(context.Background(), w.writer.SQL(), sc, scenario.Options{Start: sc.StartTime(testStart), Selector: w.selector(), Progress: scenario.Lines{W: &out}})
		if err != nil {
			t.Fatalf("timing example fails:\n%s\n%v", src, err)
		}
		for _, step := range sc.Steps {
			line := strings.Split(src, "\n")[step.Line-1]
			for l := step.Line; l < step.Line+4 && !strings.Contains(line, "#"); l++ {
				line = strings.Split(src, "\n")[l-1] // the comment may sit on a later line of the step
			}
			_, comment, ok := strings.Cut(line, "#")
			if !ok {
				continue
			}
			want := promisedTimes(t, comment)
			var got []string
			for _, r := range rep.Applied {
				if r.Step == step {
					got = append(got, r.At.Format("15:04:05"))
				}
			}
			var wantSec []string
			for _, w := range want {
				wantSec = append(wantSec, w+":00")
			}
			if !slices.Equal(got, wantSec) {
				t.Errorf("step %d (line %d) ran at %v, the doc says %v:\n%s", step.Index, step.Line, got, wantSec, out.String())
			}
		}
	}
	if examples == 0 {
		t.Fatal("no timing example found in docs/scenarios.md")
	}

	// The progress lines shown under "Running a scenario".
	block := regexp.MustCompile("(?s)```\n(\\s*clinic-day: \\d+ step runs, scenario clock from .*?)```").FindStringSubmatch(string(doc))
	if block == nil {
		t.Fatal("no clinic-day progress example in docs/scenarios.md")
	}
	var want []string
	for _, l := range strings.Split(strings.TrimSpace(block[1]), "\n") {
		if l = strings.TrimSpace(l); l != "..." {
			want = append(want, l)
		}
	}
	start, err := time.Parse("Mon 2006-01-02 15:04:05", strings.SplitN(want[0], "scenario clock from ", 2)[1])
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.LoadBuiltin("clinic-day")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	day := newWorld(t, engines[1])
	if _, err := scenario.Run(context.Background(), day.writer.SQL(), sc, scenario.Options{Start: start, Selector: day.selector(), Progress: scenario.Lines{W: &out}}); err != nil {
		t.Fatal(err)
	}
	printed := strings.Split(out.String(), "\n")
	for _, l := range want {
		if !slices.Contains(printed, l) {
			t.Errorf("the doc shows %q; the run printed:\n%s", l, out.String())
		}
	}
}

// commentsOf returns the comments of a YAML example.
func commentsOf(src string) string {
	var b strings.Builder
	for _, l := range strings.Split(src, "\n") {
		if _, c, ok := strings.Cut(l, "#"); ok {
			b.WriteString(c + "\n")
		}
	}
	return b.String()
}
