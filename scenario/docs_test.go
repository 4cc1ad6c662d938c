package scenario_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

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
		if _, err := scenario.Run(context.Background(), w.db.SQL(), sc, scenario.Options{Start: sc.StartTime(testStart), Selector: w.selector()}); err != nil {
			t.Errorf("example %d fails:\n%s\n%v", i+1, src, err)
		}
	}
}
