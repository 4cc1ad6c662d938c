package catalogue

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/odsim/odsim/payload"
)

func newValidator(t *testing.T) *Validator {
	t.Helper()
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Every golden payload (testdata/golden: the fixture's, the demo practice's, PatientSelected's)
// validates against its event's schema, keys in order.
func TestGoldensValidate(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	dir := filepath.Join("..", "testdata", "golden")
	files := 0
	for _, e := range Events() {
		var paths []string
		if e.UI {
			paths, _ = filepath.Glob(filepath.Join(dir, e.Name+"*.json"))
		} else {
			paths = []string{filepath.Join(dir, e.Name+".json"), filepath.Join(dir, "demo", e.Name+".json")}
		}
		if len(paths) == 0 {
			t.Fatalf("%s: no golden file", e.Name)
		}
		for _, path := range paths {
			text, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			files++
			// The demo files hold one POST a line, with the load-time stamps masked.
			for i, line := range bytes.Split(bytes.TrimSpace(text), []byte("\n")) {
				if len(line) == 0 {
					continue // the demo practice has no deleted appointment: no POST
				}
				line = bytes.ReplaceAll(line, []byte(`"(load time)"`), []byte(`"2026-11-30 00:00:00"`))
				for _, p := range v.CheckBody(e, line) {
					t.Errorf("%s line %d: %s", path, i+1, p)
				}
			}
		}
	}
	if files < 2*8+2 {
		t.Errorf("checked %d golden files, want every one", files)
	}
}

// randomValue is a database text for kind k: anything a column of that kind may hold, NULL included.
func randomValue(r *rand.Rand, k payload.Kind, names int) []byte {
	if r.IntN(10) == 0 {
		return nil
	}
	switch k {
	case payload.Int, payload.IntString:
		return strconv.AppendInt(nil, r.Int64N(1<<62)-1<<61, 10)
	case payload.Money:
		return strconv.AppendFloat(nil, (r.Float64()-0.5)*1e7, 'f', r.IntN(4), 64)
	case payload.String:
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	case payload.Bool:
		return []byte(strconv.Itoa(r.IntN(2)))
	case payload.Enum:
		return []byte(strconv.Itoa(r.IntN(names)))
	case payload.Date:
		return []byte([]string{"0000-00-00", "0001-01-01", "2026-02-28", "1984-02-29"}[r.IntN(4)])
	case payload.DateTime:
		return []byte([]string{"0000-00-00 00:00:00", "0001-01-01 00:00:00", "2026-11-02 09:00:01", "2021-05-03 08:30:12.123456"}[r.IntN(4)])
	case payload.Time:
		return []byte([]string{"00:00:00", "08:30:00", "23:59:59"}[r.IntN(3)])
	case payload.Colour:
		return strconv.AppendInt(nil, int64(int32(r.Uint32())), 10)
	case payload.Float:
		return strconv.AppendFloat(nil, float64(float32((r.Float64()-0.5)*200)), 'g', -1, 32)
	}
	panic("kind")
}

// What odsim's encoder writes for any row of an event's field table validates against the event's
// schema: both come from the same description, for every kind of value (random rows, NULLs included).
// The other direction is TestSchemaRefuses: what the schema refuses, odsim never sends.
func TestEncoderOutputValidates(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	r := rand.New(rand.NewPCG(1, 2))
	for _, e := range Events() {
		o := payload.NewObject(e.Fields())
		for range 50 {
			var body []byte
			n := 1
			if !e.UI {
				n = 1 + r.IntN(3)
				body = append(body, '[')
			}
			for i := range n {
				values := make([][]byte, len(e.Keys))
				for j, k := range e.Keys {
					names := 0
					if k.Enum != nil {
						names = len(k.Enum.Values)
					}
					values[j] = randomValue(r, k.Kind, names)
				}
				if i > 0 {
					body = append(body, ',')
				}
				body = o.Append(body, values)
			}
			if !e.UI {
				body = append(body, ']')
			}
			for _, p := range v.CheckBody(e, body) {
				t.Fatalf("%s: %s\nbody: %s", e.Name, p, body)
			}
		}
	}
}

// A hand-broken payload is reported precisely, key by key: a key added, a key missing, a wrong type,
// an enum name Open Dental does not have, a date in another format, keys out of order, too many
// elements, headers missing or malformed.
func TestSchemaRefuses(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	golden, err := os.ReadFile(filepath.Join("..", "testdata", "golden", "Appointment.json"))
	if err != nil {
		t.Fatal(err)
	}
	good := string(bytes.TrimSpace(golden))
	header := http.Header{"Authorization": {"VzkmZEaUWOjnQX2z"}, "Workstation": {"MOLLYR"}, "Event-Type": {"WatchTable: Appointment"}}
	if e, ps := v.Check(header, []byte(good)); e == nil || e.Name != "Appointment" || len(ps) > 0 {
		t.Fatalf("golden refused: %v %v", e, ps)
	}
	many := "[" + strings.Repeat(good[1:len(good)-1]+",", 500)
	many = many[:len(many)-1] + "]"                // 1000 elements: allowed
	tooMany := many[:len(many)-1] + "," + good[1:] // 1002
	for _, tc := range []struct {
		name   string
		header http.Header
		body   string
		want   []string
	}{
		{"key added", header, strings.Replace(good, `"AptNum":18,`, `"AptNum":18,"SecUserNumEntry":1,`, 1),
			[]string{"body[0]: additional properties 'SecUserNumEntry' not allowed"}},
		{"key missing", header, strings.Replace(good, `"TimeLocked":"false",`, ``, 1),
			[]string{"body[0]: missing property 'TimeLocked'"}},
		{"number as string", header, strings.Replace(good, `"AptNum":18,`, `"AptNum":"18",`, 1),
			[]string{"body[0].AptNum: got string, want integer"}},
		{"bool as JSON bool", header, strings.Replace(good, `"TimeLocked":"false"`, `"TimeLocked":false`, 1),
			[]string{"body[0].TimeLocked: got boolean, want string"}},
		{"bool capitalised", header, strings.Replace(good, `"TimeLocked":"false"`, `"TimeLocked":"False"`, 1),
			[]string{"body[0].TimeLocked: value must be one of 'true', 'false'"}},
		{"enum name unknown", header, strings.Replace(good, `"AptStatus":"Scheduled"`, `"AptStatus":"Booked"`, 1),
			[]string{"body[0].AptStatus: value must be one of 'None', 'Scheduled', 'Complete', 'UnschedList', 'ASAP', 'Broken', 'Planned', 'PtNote', 'PtNoteCompleted'"}},
		{"date-time ISO", header, strings.Replace(good, `"AptDateTime":"2026-11-30 08:30:00"`, `"AptDateTime":"2026-11-30T08:30:00Z"`, 1),
			[]string{"body[0].AptDateTime: '2026-11-30T08:30:00Z' does not match pattern '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$'"}},
		{"colour hex", header, strings.Replace(good, `"colorOverride":"0,0,0"`, `"colorOverride":"#000000"`, 1),
			[]string{"body[0].colorOverride: '#000000' does not match pattern '^[0-9]{1,3},[0-9]{1,3},[0-9]{1,3}$'"}},
		{"keys out of order", header, strings.Replace(good, `"AptNum":18,"PatNum":28,`, `"PatNum":28,"AptNum":18,`, 1),
			[]string{"body[0]: keys out of order: PatNum at position 1, where Open Dental sends AptNum"}},
		{"object, not array", header, good[1 : len(good)-1][:strings.Index(good, "},{")],
			[]string{"body: got object, want array"}},
		{"empty array", header, `[]`, []string{"body: 0 elements: Open Dental sends nothing when nothing changed"}},
		{"1000 elements", header, many, nil},
		{"1002 elements", header, tooMany, []string{"body: 1002 elements, more than the 1000 Open Dental sends in one POST"}},
		{"not JSON", header, `[{"AptNum":18`, []string{"body: not JSON: unexpected EOF"}},
		{"headers of an older Open Dental", http.Header{"Authorization": {"VzkmZEaUWOjnQX2z"}}, good, []string{
			"header Workstation: missing (Open Dental sends the sending machine's name since 22.4.28)",
			`header Event-Type: missing (Open Dental sends "WatchTable: <table>" or "UiEventType: <type>" since 22.4.35)`,
		}},
		{"ODFHIR authorization", http.Header{"Authorization": {"ODFHIR NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z"}, "Workstation": {"MOLLYR"}, "Event-Type": {"WatchTable: Appointment"}}, good,
			[]string{`header Authorization: "ODFHIR NFF6i0KrXrxDkZHt/VzkmZEaUWOjnQX2z" is not a bare customer key (Open Dental sends the key alone, without ODFHIR or the developer key)`}},
		{"unknown event", http.Header{"Authorization": {"k"}, "Workstation": {"W"}, "Event-Type": {"WatchTable: Claim"}}, good,
			[]string{`header Event-Type: "WatchTable: Claim" names no event of the catalogue`}},
		{"UI event named as a table", http.Header{"Authorization": {"k"}, "Workstation": {"W"}, "Event-Type": {"WatchTable: PatientSelected"}}, good,
			[]string{`header Event-Type: "WatchTable: PatientSelected" names no event of the catalogue`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ps := v.Check(tc.header, []byte(tc.body))
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
