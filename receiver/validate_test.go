package receiver

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// odsim listen --validate prints nothing more for a delivery that matches the catalogue, and each
// difference of a hand-broken one under its line, key by key; the answer is unchanged.
func TestValidateReportsEachDifference(t *testing.T) {
	t.Parallel()
	golden, err := os.ReadFile(filepath.Join("..", "testdata", "golden", "PatField.json"))
	if err != nil {
		t.Fatal(err)
	}
	good := bytes.TrimSpace(golden)
	ts := start(t, Config{Validate: true})

	if r := ts.send(t, "POST", ts.url+"/", dbHeaders("PatField"), good); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	if out := ts.out.String(); strings.Count(out, "\n") != 1 || !strings.Contains(out, "WatchTable: PatField  ws=MOLLYR  2 elements") {
		t.Fatalf("a valid delivery printed more than its line:\n%s", out)
	}

	broken := strings.NewReplacer(
		`"PatFieldNum":5,`, `"PatFieldNum":"5",`, // a number sent as a string
		`"SecDateEntry":"2026-10-30",`, `"SecDateEntry":"10/30/2026","Extra":1,`, // another date format, a key too many
	).Replace(string(good))
	broken = strings.Replace(broken, `{"PatFieldNum":6,"PatNum":27,`, `{"PatNum":27,"PatFieldNum":6,`, 1) // keys swapped
	h := dbHeaders("PatField")
	delete(h, "Workstation")
	if r := ts.send(t, "POST", ts.url+"/", h, []byte(broken)); r.status != 200 {
		t.Fatalf("status %d: validation must not change the answer", r.status)
	}
	out := ts.out.String()
	_, second, _ := strings.Cut(out, "\n")
	want := `  differs from PatField's schema (5):
    header Workstation: missing (Open Dental sends the sending machine's name since 22.4.28)
    body[0]: additional properties 'Extra' not allowed
    body[0].PatFieldNum: got string, want integer
    body[0].SecDateEntry: '10/30/2026' does not match pattern '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
    body[1]: keys out of order: PatNum at position 1, where Open Dental sends PatFieldNum
`
	if _, got, _ := strings.Cut(second, "\n"); got != want {
		t.Errorf("printed:\n%s\nwant under the line:\n%s", got, want)
	}
}
