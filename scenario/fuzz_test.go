package scenario_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/odsim/odsim/scenario"
)

// FuzzParse feeds arbitrary text to the scenario file parser (files users write, and the yaml of POST
// /odsim/v1/scenarios): it must never panic, must answer either a scenario or an ErrorList whose every
// problem names the file, and must not accept a file it cannot parse the same way twice. Seeds are the
// built-in scenarios and broken variants of them, in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := scenario.Parse("fuzz.yaml", data)
		if err != nil {
			var list scenario.ErrorList
			if !errors.As(err, &list) || len(list) == 0 || sc != nil {
				t.Fatalf("error %T %v with scenario %v: want an ErrorList and no scenario", err, err, sc)
			}
			for _, e := range list {
				if !strings.HasPrefix(e.Error(), "fuzz.yaml") {
					t.Fatalf("problem %q does not name the file", e.Error())
				}
			}
			return
		}
		if sc == nil {
			t.Fatal("no error and no scenario")
		}
		again, err := scenario.Parse("fuzz.yaml", data)
		if err != nil || len(again.Steps) != len(sc.Steps) {
			t.Fatalf("a second parse differs: %v, %d steps vs %d", err, len(again.Steps), len(sc.Steps))
		}
	})
}
