package payload

import (
	"encoding/json"
	"testing"
)

// The expected strings below are written from the spec, not from odsim's output; each case names the
// section it rests on. "events" is shared/spec/opendental-events.md, "schema" opendental-schema.md, and
// "EV-E" the examples of Open Dental's API Events page (2025), quoted in testdata/spec.
//
// A nil input is SQL NULL. Open Dental's columns are NOT NULL almost everywhere (schema §4), but LEFT
// JOINs of derived fields and a few legacy columns (nullable text) give NULLs, which the API shows as
// the empty value of the key's type: 0, "", "0001-01-01", the name of the enum's value 0.
func TestValueKinds(t *testing.T) {
	t.Parallel()
	status := []string{"Patient", "NonPatient", "Inactive", "Archived", "Deleted", "Deceased", "Prospective"}
	cases := []struct {
		name string
		kind Kind
		in   []byte // database text; nil is NULL
		want string
		spec string
	}{
		// Integers and foreign keys are JSON numbers; 0 means none.
		{"int", Int, []byte("18"), `18`, "events §4.2; EV-E AptNum 18"},
		{"int zero", Int, []byte("0"), `0`, "EV-E NextAptNum 0"},
		{"int negative", Int, []byte("-3"), `-3`, "events §4.2 (JSON number)"},
		{"int bigint", Int, []byte("9223372036854775807"), `9223372036854775807`, "schema §4 (bigint(20) keys)"},
		{"int NULL", Int, nil, `0`, "schema §4 (0 means none)"},
		{"int empty", Int, []byte(""), `0`, "schema §4 (0 means none)"},

		// Numbers as JSON strings: Schedules GET, PatientSelected's ClinicNum.
		{"int string", IntString, []byte("24555"), `"24555"`, `events §4.7 ("ScheduleNum": "24555")`},
		{"int string clinic", IntString, []byte("1"), `"1"`, `events §4.4; EV-E "ClinicNum":"1"`},
		{"int string NULL", IntString, nil, `"0"`, "schema §4 (0 means none)"},

		// Money is a JSON number in shortest form.
		{"money", Money, []byte("40.11"), `40.11`, "events §4.2 (40.11)"},
		{"money zero", Money, []byte("0"), `0`, `EV-E "EstBalance":0`},
		{"money trailing zero", Money, []byte("125.50"), `125.5`, "events §4.2 (a JSON number, shortest form)"},
		{"money negative", Money, []byte("-12.3"), `-12.3`, "events §4.2"},
		{"money NULL", Money, nil, `0`, `EV-E "BalTotal":0`},

		// Text: NULL is "", CR/LF become spaces, Newtonsoft.Json escaping.
		{"string", String, []byte("Seal, Seal"), `"Seal, Seal"`, `EV-E "ProcDescript": "Seal, Seal"`},
		{"string empty", String, []byte(""), `""`, `EV-E "Note": ""`},
		{"string NULL", String, nil, `""`, `events §4.3 (unschedStatus "" when 0)`},
		{"string CRLF", String, []byte("Wants early\r\nCall mom"), `"Wants early Call mom"`, "events §4.2 (CR/LF come out as spaces)"},
		{"string LF and CR", String, []byte("a\nb\rc"), `"a b c"`, "events §4.2 (CR/LF come out as spaces)"},
		{"string quote backslash", String, []byte(`say "hi" C:\x`), `"say \"hi\" C:\\x"`, "README Choices (Newtonsoft.Json escaping)"},
		{"string tab and controls", String, []byte("a\tb\x01\x1f\b\f"), `"a\tb\u0001\u001f\b\f"`, "README Choices (Newtonsoft.Json escaping)"},
		{"string html as is", String, []byte("Lunch & learn <b>"), `"Lunch & learn <b>"`, "README Choices (Newtonsoft.Json writes <, >, & as is)"},
		{"string non-ASCII as is", String, []byte("María Zoë"), `"María Zoë"`, "README Choices (non-ASCII written as is)"},
		{"string line separators", String, []byte("a\u2028b\u2029c\u0085d"), `"a\u2028b\u2029c\u0085d"`, "README Choices (Newtonsoft.Json escapes U+0085, U+2028, U+2029)"},
		{"string invalid UTF-8", String, []byte("a\xffb"), "\"a\ufffdb\"", "README Choices (invalid UTF-8 becomes U+FFFD)"},

		// Booleans are the strings "true" and "false".
		{"bool true", Bool, []byte("1"), `"true"`, `events §4.2; EV-E "TimeLocked": "false"`},
		{"bool false", Bool, []byte("0"), `"false"`, `events §4.2; EV-E "IsNewPatient": "false"`},
		{"bool other non-zero", Bool, []byte("2"), `"true"`, "schema §4 (tinyint; C# reads non-zero as true)"},
		{"bool NULL", Bool, nil, `"false"`, "schema §4 (0 means none)"},

		// Enums are their names; a value outside the enum is its number, as .NET prints it.
		{"enum", Enum, []byte("0"), `"Patient"`, `schema §7 PatientStatus; EV-E "PatStatus":"Patient"`},
		{"enum last", Enum, []byte("6"), `"Prospective"`, "schema §7 PatientStatus"},
		{"enum out of range", Enum, []byte("7"), `"7"`, "schema §7 (.NET Enum.ToString of an undefined value)"},
		{"enum negative", Enum, []byte("-1"), `"-1"`, "schema §7 (.NET Enum.ToString of an undefined value)"},
		{"enum NULL", Enum, nil, `"Patient"`, "schema §4 (NULL read as 0)"},

		// Dates and date-times; the empty value is 0001-01-01, MySQL's zero date too.
		{"date", Date, []byte("1986-11-06"), `"1986-11-06"`, `events §4.2; EV-E "Birthdate":"1986-11-06"`},
		{"date zero", Date, []byte("0001-01-01"), `"0001-01-01"`, `EV-E "DateFirstVisit": "0001-01-01"`},
		{"date MySQL zero", Date, []byte("0000-00-00"), `"0001-01-01"`, "schema §4 (old '0000-00-00' defaults)"},
		{"date NULL", Date, nil, `"0001-01-01"`, "events §4.2 (empty value 0001-01-01)"},
		{"date from datetime", Date, []byte("2021-12-04 00:00:00"), `"2021-12-04"`, `EV-E "SecDateEntry":"2021-12-04"`},
		{"datetime", DateTime, []byte("2021-05-03 08:30:12"), `"2021-05-03 08:30:12"`, `EV-E "DateTStamp":"2021-05-03 08:30:12"`},
		{"datetime zero", DateTime, []byte("0001-01-01 00:00:00"), `"0001-01-01 00:00:00"`, `EV-E "DateTimeArrived": "0001-01-01 00:00:00"`},
		{"datetime MySQL zero", DateTime, []byte("0000-00-00 00:00:00"), `"0001-01-01 00:00:00"`, "schema §4 ('0000-00-00' under sql_mode='')"},
		{"datetime NULL", DateTime, nil, `"0001-01-01 00:00:00"`, "events §4.2 (empty value 0001-01-01 00:00:00)"},
		{"datetime fraction", DateTime, []byte("2021-05-03 08:30:12.500000"), `"2021-05-03 08:30:12"`, "events §4.2 (yyyy-MM-dd HH:mm:ss)"},

		// Times of day.
		{"time", Time, []byte("08:00:00"), `"08:00:00"`, `events §4.7 (StartTime "HH:mm:ss")`},
		{"time NULL", Time, nil, `"00:00:00"`, "events §4.7"},

		// Colours: signed 32-bit ARGB ints as "R,G,B"; "0,0,0" is none.
		{"colour none", Colour, []byte("0"), `"0,0,0"`, `events §4.2; EV-E "colorOverride": "0,0,0"`},
		{"colour green", Colour, []byte("-16744448"), `"0,128,0"`, "schema §4 (signed ARGB; 0xFF008000)"},
		{"colour white", Colour, []byte("-1"), `"255,255,255"`, "schema §4 (-1 = white)"},
		{"colour without alpha", Colour, []byte("16711680"), `"255,0,0"`, "schema §4 (ARGB int)"},
		{"colour NULL", Colour, nil, `"0,0,0"`, `events §4.2 ("0,0,0" means none)`},

		// Floats as strings in shortest form (ToothInitial.Movement).
		{"float integral", Float, []byte("-20"), `"-20"`, `events §4.7 (Movement "-20")`},
		{"float fraction", Float, []byte("1.5"), `"1.5"`, "events §4.7 (a string, shortest form)"},
		{"float single precision", Float, []byte("0.1"), `"0.1"`, "schema §5.17 (float column: shortest form of the float32)"},
		{"float NULL", Float, nil, `"0"`, "schema §4 (0 means none)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := Field{Key: "K", Kind: tc.kind}
			if tc.kind == Enum {
				f.Names = status
			}
			got := string(AppendValue([]byte("x"), f, tc.in))
			if got != "x"+tc.want {
				t.Errorf("%s of %q = %s, want %s (%s)", tc.name, tc.in, got[1:], tc.want, tc.spec)
			}
			if !json.Valid([]byte(tc.want)) {
				t.Errorf("expected value %s is not JSON", tc.want)
			}
		})
	}
}

// An object is its fields in the field table's order, compact, with no key added or dropped.
func TestObjectKeepsOrder(t *testing.T) {
	t.Parallel()
	o := NewObject([]Field{
		{Key: "PatNum", Kind: Int},
		{Key: "LName", Kind: String},
		{Key: "ClinicNum", Kind: IntString},
		{Key: "TxtMsgOk", Kind: Enum, Names: []string{"Unknown", "Yes", "No"}},
	})
	got := string(o.Append(nil, [][]byte{[]byte("28"), []byte("Harrison"), []byte("1"), []byte("0")}))
	want := `{"PatNum":28,"LName":"Harrison","ClinicNum":"1","TxtMsgOk":"Unknown"}` // EV-E PatientSelected, compact
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
