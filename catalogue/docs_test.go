package catalogue

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/events.md and catalogue/examples from the code and the goldens")

// docs/events.md is what the catalogue generates; -update (or odsim catalogue --format markdown)
// rewrites it.
func TestEventsDocIsGenerated(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "docs", "events.md")
	if *update {
		if err := os.WriteFile(path, Markdown(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Skip("-update: rewrote docs/events.md")
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(Markdown(), want) {
		t.Errorf("docs/events.md differs from what the catalogue generates: run go run ./cmd/odsim catalogue --format markdown > docs/events.md (or go test ./catalogue -update)")
	}
}

// Each event's example in the OpenAPI document is the first element of its golden payload, byte for
// byte (the go tool cannot embed testdata, so catalogue/examples holds copies); -update copies them.
func TestExamplesAreTheGoldens(t *testing.T) {
	t.Parallel()
	for _, e := range Events() {
		golden, err := os.ReadFile(filepath.Join("..", "testdata", "golden", e.Name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		first := bytes.TrimSpace(golden)
		if !e.UI {
			dec := json.NewDecoder(bytes.NewReader(first[1:]))
			var el json.RawMessage
			if err := dec.Decode(&el); err != nil {
				t.Fatalf("%s golden: %v", e.Name, err)
			}
			first = el
		}
		path := filepath.Join("examples", e.Name+".json")
		if *update {
			if err := os.WriteFile(path, append(bytes.Clone(first), '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got := bytes.TrimSpace(Example(e)); !bytes.Equal(got, first) {
			t.Errorf("%s: %s differs from the first element of testdata/golden/%s.json (run go test ./catalogue -update)", e.Name, path, e.Name)
		}
	}
}
