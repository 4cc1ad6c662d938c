package demo_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/store/demo"
	"github.com/odsim/odsim/store/storetest"
)

// demoTables are the tables Load fills, in load order.
var demoTables = []string{"clinic", "site", "provider", "operatory", "patient", "patfielddef", "patfieldpickitem",
	"patfield", "schedule", "scheduleop", "appointment", "toothinitial"}

// stamped are the columns MySQL sets at load time; they differ between two loads.
var stamped = []string{"DateTStamp", "SecDateTEdit"}

func newDB(t *testing.T) *sql.DB {
	t.Helper()
	return storetest.New(t).SQL()
}

func load(t *testing.T, db *sql.DB, opts demo.Options) demo.Summary {
	t.Helper()
	sum, err := demo.Load(context.Background(), db, opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return sum
}

func TestLoadCounts(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	start := time.Now()
	sum := load(t, db, demo.Options{})
	t.Logf("loaded in %v: %s", time.Since(start), sum)

	if got, want := sum.Anchor.Format(time.DateOnly), "2026-11-30"; got != want {
		t.Errorf("anchor = %s, want the default %s", got, want)
	}
	var names []string
	for _, tc := range sum.Tables {
		names = append(names, tc.Table)
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM `" + tc.Table + "`").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != tc.Rows {
			t.Errorf("%s: summary says %d rows, table has %d", tc.Table, tc.Rows, n)
		}
	}
	if !slices.Equal(names, demoTables) {
		t.Errorf("summary tables = %v, want %v", names, demoTables)
	}

	for _, c := range []struct {
		table    string
		min, max int
	}{
		{"clinic", 2, 2}, {"site", 1, 2}, {"provider", 4, 4}, {"operatory", 6, 6}, {"patient", 60, 60},
		{"patfielddef", 5, 10}, {"patfieldpickitem", 3, 20}, {"patfield", 60, 400},
		{"schedule", 40, 200}, {"scheduleop", 40, 400}, {"appointment", 280, 320}, {"toothinitial", 3, 40},
	} {
		if n := sum.Rows(c.table); n < c.min || n > c.max {
			t.Errorf("%s: %d rows, want %d..%d", c.table, n, c.min, c.max)
		}
	}

	// The practice's shape, as the demo promises it.
	for _, c := range []struct {
		what  string
		query string
		want  int
	}{
		{"dentists", "SELECT COUNT(*) FROM provider WHERE Specialty = 263 AND IsSecondary = 0", 2},
		{"hygienists", "SELECT COUNT(*) FROM provider WHERE Specialty = 264 AND IsSecondary = 1", 2},
		{"distinct provider colours", "SELECT COUNT(DISTINCT ProvColor) FROM provider", 4},
		{"clinics with operatories", "SELECT COUNT(DISTINCT ClinicNum) FROM operatory", 2},
		{"hygiene operatories", "SELECT COUNT(*) FROM operatory WHERE IsHygiene = 1 AND ProvHygienist <> 0", 3},
		{"working days with provider hours", "SELECT COUNT(DISTINCT SchedDate) FROM schedule WHERE SchedType = 1", 9},
		{"holidays", "SELECT COUNT(*) FROM schedule WHERE SchedType = 0 AND Status = 2", 1},
		{"blockout types used", "SELECT COUNT(DISTINCT BlockoutType) FROM schedule WHERE SchedType = 2", 4},
		{"guarantors", "SELECT COUNT(*) FROM patient WHERE Guarantor = PatNum", 26},
	} {
		var n int
		if err := db.QueryRow(c.query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if n != c.want {
			t.Errorf("%s = %d, want %d", c.what, n, c.want)
		}
	}

	// Enough of every kind of row to exercise the payloads.
	for _, c := range []struct {
		what  string
		query string
		min   int
	}{
		{"scheduled", "SELECT COUNT(*) FROM appointment WHERE AptStatus = 1", 100},
		{"complete", "SELECT COUNT(*) FROM appointment WHERE AptStatus = 2", 40},
		{"unscheduled list", "SELECT COUNT(*) FROM appointment WHERE AptStatus = 3", 3},
		{"broken", "SELECT COUNT(*) FROM appointment WHERE AptStatus = 5", 3},
		{"planned", "SELECT COUNT(*) FROM appointment WHERE AptStatus = 6", 5},
		{"ASAP", "SELECT COUNT(*) FROM appointment WHERE Priority = 1", 3},
		{"new patient", "SELECT COUNT(*) FROM appointment WHERE IsNewPatient = 1", 2},
		{"hygiene", "SELECT COUNT(*) FROM appointment WHERE IsHygiene = 1", 60},
		{"with a note", "SELECT COUNT(*) FROM appointment WHERE Note <> ''", 10},
		{"colour override", "SELECT COUNT(*) FROM appointment WHERE ColorOverride <> 0", 1},
		{"linked to a planned appointment", "SELECT COUNT(*) FROM appointment WHERE NextAptNum <> 0", 1},
		{"confirmation statuses", "SELECT COUNT(DISTINCT Confirmed) FROM appointment", 8},
		{"inactive patients", "SELECT COUNT(*) FROM patient WHERE PatStatus = 2", 1},
		{"non-patients", "SELECT COUNT(*) FROM patient WHERE PatStatus = 1", 1},
		{"prospective patients", "SELECT COUNT(*) FROM patient WHERE PatStatus = 6", 1},
		{"children", "SELECT COUNT(*) FROM patient WHERE Position = 2", 10},
		{"patients at a site", "SELECT COUNT(*) FROM patient WHERE SiteNum <> 0", 2},
		{"text-message confirmations", "SELECT COUNT(*) FROM patient WHERE PreferConfirmMethod = 8 AND TxtMsgOk = 1", 5},
		{"patients with fields", "SELECT COUNT(DISTINCT PatNum) FROM patfield", 30},
		{"field kinds in use", "SELECT COUNT(DISTINCT FieldName) FROM patfield", 5},
	} {
		var n int
		if err := db.QueryRow(c.query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if n < c.min {
			t.Errorf("%s: %d rows, want at least %d", c.what, n, c.min)
		}
	}
}

// TestLoadReferences checks that the rows fit together as Open Dental's would: every query counts rows
// that break a rule and must find none.
func TestLoadReferences(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	load(t, db, demo.Options{})

	end := "DATE_ADD(%[1]s.AptDateTime, INTERVAL CHAR_LENGTH(%[1]s.Pattern) * 5 MINUTE)"
	for _, c := range []struct{ rule, query string }{
		{"appointment patient exists", "SELECT COUNT(*) FROM appointment a LEFT JOIN patient p ON p.PatNum = a.PatNum WHERE p.PatNum IS NULL"},
		{"appointment operatory exists", "SELECT COUNT(*) FROM appointment a LEFT JOIN operatory o ON o.OperatoryNum = a.Op WHERE a.Op <> 0 AND o.OperatoryNum IS NULL"},
		{"booked appointments have an operatory and a time", "SELECT COUNT(*) FROM appointment WHERE AptStatus <> 6 AND (Op = 0 OR AptDateTime < '2000-01-01')"},
		{"planned appointments have neither", "SELECT COUNT(*) FROM appointment WHERE AptStatus = 6 AND (Op <> 0 OR AptDateTime <> '0001-01-01 00:00:00')"},
		{"appointment provider exists", "SELECT COUNT(*) FROM appointment a LEFT JOIN provider p ON p.ProvNum = a.ProvNum WHERE p.ProvNum IS NULL"},
		{"appointment hygienist exists", "SELECT COUNT(*) FROM appointment a LEFT JOIN provider p ON p.ProvNum = a.ProvHyg WHERE a.ProvHyg <> 0 AND p.ProvNum IS NULL"},
		{"appointment clinic is its operatory's", "SELECT COUNT(*) FROM appointment a JOIN operatory o ON o.OperatoryNum = a.Op WHERE a.ClinicNum <> o.ClinicNum"},
		{"hygiene appointments are in hygiene operatories", "SELECT COUNT(*) FROM appointment a JOIN operatory o ON o.OperatoryNum = a.Op WHERE a.IsHygiene <> o.IsHygiene"},
		{"hygiene appointments have a hygienist", "SELECT COUNT(*) FROM appointment WHERE IsHygiene = 1 AND ProvHyg = 0"},
		{"appointment patient is a patient of its clinic", "SELECT COUNT(*) FROM appointment a JOIN patient p ON p.PatNum = a.PatNum WHERE p.ClinicNum <> a.ClinicNum OR p.PatStatus NOT IN (0, 6)"},
		{"confirmed is an ApptConfirmed definition", "SELECT COUNT(*) FROM appointment a LEFT JOIN definition d ON d.DefNum = a.Confirmed AND d.Category = 2 WHERE d.DefNum IS NULL"},
		{"unscheduled appointments have an unscheduled status", "SELECT COUNT(*) FROM appointment a LEFT JOIN definition d ON d.DefNum = a.UnschedStatus AND d.Category = 13 WHERE a.AptStatus = 3 AND d.DefNum IS NULL"},
		{"only unscheduled appointments have one", "SELECT COUNT(*) FROM appointment WHERE AptStatus <> 3 AND UnschedStatus <> 0"},
		{"NextAptNum is the patient's planned appointment", "SELECT COUNT(*) FROM appointment a LEFT JOIN appointment n ON n.AptNum = a.NextAptNum AND n.PatNum = a.PatNum AND n.AptStatus = 6 WHERE a.NextAptNum <> 0 AND n.AptNum IS NULL"},
		{"patterns are 5-minute slots", "SELECT COUNT(*) FROM appointment WHERE Pattern NOT REGEXP '^[/X]{6,}$'"},
		{"complete appointments were arrived, seated and dismissed in order", "SELECT COUNT(*) FROM appointment WHERE AptStatus = 2 AND NOT (DateTimeArrived > '2000-01-01' AND DateTimeArrived <= DateTimeSeated AND DateTimeSeated < DateTimeDismissed)"},
		{"other appointments were not", "SELECT COUNT(*) FROM appointment WHERE AptStatus <> 2 AND (DateTimeArrived <> '0001-01-01 00:00:00' OR DateTimeSeated <> '0001-01-01 00:00:00' OR DateTimeDismissed <> '0001-01-01 00:00:00')"},
		{"appointments were entered before they happened", "SELECT COUNT(*) FROM appointment WHERE AptStatus <> 6 AND SecDateTEntry >= AptDateTime"},
		{"appointments on the book do not overlap in an operatory", "SELECT COUNT(*) FROM appointment a JOIN appointment b ON a.Op = b.Op AND a.AptNum < b.AptNum " +
			"AND a.AptDateTime < " + fmt.Sprintf(end, "b") + " AND b.AptDateTime < " + fmt.Sprintf(end, "a") +
			" WHERE a.AptStatus IN (1, 2, 5) AND b.AptStatus IN (1, 2, 5)"},
		{"appointments lie within their provider's hours in that operatory", "SELECT COUNT(*) FROM appointment a WHERE a.AptStatus <> 6 AND NOT EXISTS (" +
			"SELECT 1 FROM schedule s JOIN scheduleop so ON so.ScheduleNum = s.ScheduleNum WHERE s.SchedType = 1 AND so.OperatoryNum = a.Op " +
			"AND s.ProvNum IN (a.ProvNum, a.ProvHyg) AND s.SchedDate = DATE(a.AptDateTime) AND s.StartTime <= TIME(a.AptDateTime) " +
			"AND TIME(" + fmt.Sprintf(end, "a") + ") <= s.StopTime)"},
		{"guarantor exists and is head of household", "SELECT COUNT(*) FROM patient p LEFT JOIN patient g ON g.PatNum = p.Guarantor WHERE g.PatNum IS NULL OR g.Guarantor <> g.PatNum"},
		{"children are not guarantors", "SELECT COUNT(*) FROM patient WHERE Position = 2 AND Guarantor = PatNum"},
		{"only guarantors carry the family balance", "SELECT COUNT(*) FROM patient WHERE Guarantor <> PatNum AND (BalTotal <> 0 OR InsEst <> 0 OR Bal_0_30 <> 0 OR BalOver90 <> 0)"},
		{"patient providers exist", "SELECT COUNT(*) FROM patient p LEFT JOIN provider a ON a.ProvNum = p.PriProv LEFT JOIN provider b ON b.ProvNum = p.SecProv WHERE a.ProvNum IS NULL OR (p.SecProv <> 0 AND b.ProvNum IS NULL)"},
		{"billing type is a BillingTypes definition", "SELECT COUNT(*) FROM patient p LEFT JOIN definition d ON d.DefNum = p.BillingType AND d.Category = 4 WHERE d.DefNum IS NULL"},
		{"patient clinic and site exist", "SELECT COUNT(*) FROM patient p LEFT JOIN clinic c ON c.ClinicNum = p.ClinicNum LEFT JOIN site s ON s.SiteNum = p.SiteNum WHERE c.ClinicNum IS NULL OR (p.SiteNum <> 0 AND s.SiteNum IS NULL)"},
		{"schedule operatory links point at schedules and operatories", "SELECT COUNT(*) FROM scheduleop so LEFT JOIN schedule s ON s.ScheduleNum = so.ScheduleNum LEFT JOIN operatory o ON o.OperatoryNum = so.OperatoryNum WHERE s.ScheduleNum IS NULL OR o.OperatoryNum IS NULL"},
		{"provider schedules name a provider and operatories", "SELECT COUNT(*) FROM schedule s LEFT JOIN provider p ON p.ProvNum = s.ProvNum WHERE s.SchedType = 1 AND (p.ProvNum IS NULL OR NOT EXISTS (SELECT 1 FROM scheduleop so WHERE so.ScheduleNum = s.ScheduleNum))"},
		{"blockouts have a BlockoutTypes definition and operatories", "SELECT COUNT(*) FROM schedule s LEFT JOIN definition d ON d.DefNum = s.BlockoutType AND d.Category = 25 WHERE s.SchedType = 2 AND (d.DefNum IS NULL OR NOT EXISTS (SELECT 1 FROM scheduleop so WHERE so.ScheduleNum = s.ScheduleNum))"},
		{"only provider schedules name a provider, only blockouts a type", "SELECT COUNT(*) FROM schedule WHERE (SchedType <> 1 AND ProvNum <> 0) OR (SchedType <> 2 AND BlockoutType <> 0)"},
		{"schedule clinic exists", "SELECT COUNT(*) FROM schedule s LEFT JOIN clinic c ON c.ClinicNum = s.ClinicNum WHERE c.ClinicNum IS NULL"},
		{"operatory type is an OperatoryTypes definition", "SELECT COUNT(*) FROM operatory o LEFT JOIN definition d ON d.DefNum = o.OperatoryType AND d.Category = 55 WHERE d.DefNum IS NULL"},
		{"operatory providers exist", "SELECT COUNT(*) FROM operatory o LEFT JOIN provider a ON a.ProvNum = o.ProvDentist LEFT JOIN provider b ON b.ProvNum = o.ProvHygienist WHERE a.ProvNum IS NULL OR (o.ProvHygienist <> 0 AND b.ProvNum IS NULL)"},
		{"provider specialty is a ProviderSpecialties definition", "SELECT COUNT(*) FROM provider p LEFT JOIN definition d ON d.DefNum = p.Specialty AND d.Category = 35 WHERE d.DefNum IS NULL"},
		{"patient field names a definition and a patient", "SELECT COUNT(*) FROM patfield f LEFT JOIN patfielddef d ON d.FieldName = f.FieldName LEFT JOIN patient p ON p.PatNum = f.PatNum WHERE d.PatFieldDefNum IS NULL OR p.PatNum IS NULL"},
		{"one value per patient and field", "SELECT COUNT(*) FROM (SELECT PatNum, FieldName FROM patfield GROUP BY PatNum, FieldName HAVING COUNT(*) > 1) x"},
		{"pick-list values are pick items", "SELECT COUNT(*) FROM patfield f JOIN patfielddef d ON d.FieldName = f.FieldName AND d.FieldType = 1 LEFT JOIN patfieldpickitem i ON i.PatFieldDefNum = d.PatFieldDefNum AND i.Name = f.FieldValue WHERE i.PatFieldPickItemNum IS NULL"},
		{"dates are yyyy-MM-dd", "SELECT COUNT(*) FROM patfield f JOIN patfielddef d ON d.FieldName = f.FieldName AND d.FieldType = 2 WHERE f.FieldValue NOT REGEXP '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'"},
		{"checked boxes are 1", "SELECT COUNT(*) FROM patfield f JOIN patfielddef d ON d.FieldName = f.FieldName AND d.FieldType = 3 WHERE f.FieldValue <> '1'"},
		{"currency has two decimals", "SELECT COUNT(*) FROM patfield f JOIN patfielddef d ON d.FieldName = f.FieldName AND d.FieldType = 4 WHERE f.FieldValue NOT REGEXP '^[0-9]+[.][0-9]{2}$'"},
		{"pick items belong to a pick-list field", "SELECT COUNT(*) FROM patfieldpickitem i LEFT JOIN patfielddef d ON d.PatFieldDefNum = i.PatFieldDefNum AND d.FieldType = 1 WHERE d.PatFieldDefNum IS NULL"},
		{"tooth initial patient exists", "SELECT COUNT(*) FROM toothinitial t LEFT JOIN patient p ON p.PatNum = t.PatNum WHERE p.PatNum IS NULL"},
	} {
		var n int
		if err := db.QueryRow(c.query).Scan(&n); err != nil {
			t.Fatalf("%s: %v\n%s", c.rule, err, c.query)
		}
		if n != 0 {
			t.Errorf("%s: %d rows break it", c.rule, n)
		}
	}
}

// TestLoadFullRows checks that Load gives every column a value, so that no column falls back to a
// default: under sql_mode=” an omitted datetime would read 0000-00-00 instead of 0001-01-01.
func TestLoadFullRows(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	load(t, db, demo.Options{})
	for _, table := range demoTables {
		var dates []string
		for _, c := range columns(t, db, table) {
			if c.dataType == "date" || c.dataType == "datetime" || c.dataType == "timestamp" {
				dates = append(dates, c.name)
			}
		}
		for _, c := range dates {
			var n int
			q := fmt.Sprintf("SELECT COUNT(*) FROM `%s` WHERE CAST(`%s` AS CHAR) LIKE '0000-00-00%%'", table, c)
			if err := db.QueryRow(q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%s.%s: %d zero dates", table, c, n)
			}
		}
		var nulls []string
		for _, c := range columns(t, db, table) {
			var n int
			if err := db.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM `%s` WHERE `%s` IS NULL", table, c.name)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				nulls = append(nulls, c.name)
			}
		}
		if len(nulls) > 0 {
			t.Errorf("%s: NULLs in %v", table, nulls)
		}
	}
}

// TestLoadDeterministic loads the practice into two databases with the same anchor and compares every
// row of every table, apart from the columns MySQL stamps at load time.
func TestLoadDeterministic(t *testing.T) {
	t.Parallel()
	a, b := newDB(t), newDB(t)
	// A Thursday: Load anchors on the Monday before it.
	anchor := time.Date(2027, 3, 11, 15, 4, 5, 0, time.Local)
	sa := load(t, a, demo.Options{Anchor: anchor})
	sb := load(t, b, demo.Options{Anchor: time.Date(2027, 3, 8, 0, 0, 0, 0, time.UTC)})
	if got := sa.Anchor.Format(time.DateOnly); got != "2027-03-08" {
		t.Errorf("anchor = %s, want the Monday 2027-03-08", got)
	}
	for _, table := range append([]string{"definition"}, demoTables...) {
		ra, rb := dump(t, a, table), dump(t, b, table)
		if len(ra) != len(rb) {
			t.Errorf("%s: %d rows vs %d rows", table, len(ra), len(rb))
			continue
		}
		for i := range ra {
			if ra[i] != rb[i] {
				t.Errorf("%s row %d differs:\n  %s\n  %s", table, i+1, ra[i], rb[i])
				break
			}
		}
	}
	if fmt.Sprint(sa.Tables) != fmt.Sprint(sb.Tables) {
		t.Errorf("summaries differ: %v vs %v", sa.Tables, sb.Tables)
	}

	// The book follows the anchor.
	var first, last string
	if err := a.QueryRow("SELECT MIN(AptDateTime), MAX(AptDateTime) FROM appointment WHERE AptStatus <> 6").Scan(&first, &last); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first, "2027-03-08 ") || last > "2027-03-19 23:59:59" {
		t.Errorf("appointments from %s to %s, want within 2027-03-08..2027-03-19", first, last)
	}
}

func TestLoadRefusesNonEmptyDatabase(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	first := load(t, db, demo.Options{})

	_, err := demo.Load(context.Background(), db, demo.Options{})
	if !errors.Is(err, demo.ErrNotEmpty) {
		t.Fatalf("second Load: err = %v, want ErrNotEmpty", err)
	}
	if got, want := err.Error(), "database already has 60 patients; demo seed needs an empty Open Dental database"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}

	// With Force, the demo replaces its own tables' rows.
	again, err := demo.Load(context.Background(), db, demo.Options{Force: true})
	if err != nil {
		t.Fatalf("Load with Force: %v", err)
	}
	if fmt.Sprint(again.Tables) != fmt.Sprint(first.Tables) {
		t.Errorf("forced load wrote %v, first load %v", again.Tables, first.Tables)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM patient").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 60 {
		t.Errorf("after forced load: %d patients, want 60", n)
	}
}

func TestLoadRefusesOtherRows(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	if _, err := db.Exec("INSERT INTO scheduleop (ScheduleOpNum, ScheduleNum, OperatoryNum) VALUES (7, 1, 1)"); err != nil {
		t.Fatal(err)
	}
	_, err := demo.Load(context.Background(), db, demo.Options{})
	if got, want := fmt.Sprint(err), "database already has 1 schedule operatory link; demo seed needs an empty Open Dental database"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestLoadWithoutSchema(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, storetest.NewEmptyDSN(t)).SQL()
	_, err := demo.Load(context.Background(), db, demo.Options{})
	if err == nil || !strings.Contains(err.Error(), "apply the schema first") {
		t.Fatalf("err = %v, want one saying to apply the schema", err)
	}
}

func TestMondayOf(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"2026-11-30", "2026-11-30"}, // Monday
		{"2026-12-02", "2026-11-30"}, // Wednesday
		{"2026-12-06", "2026-11-30"}, // Sunday belongs to the week before
		{"2027-01-01", "2026-12-28"}, // across a year
	} {
		in, _ := time.Parse(time.DateOnly, c.in)
		if got := demo.MondayOf(in).Format(time.DateOnly); got != c.want {
			t.Errorf("MondayOf(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

type column struct{ name, dataType string }

func columns(t *testing.T, db *sql.DB, table string) []column {
	t.Helper()
	rows, err := db.Query("SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "+
		"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.dataType); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// dump returns table's rows as text, by primary key, without the columns MySQL stamps.
func dump(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	var names []string
	for _, c := range columns(t, db, table) {
		if !slices.Contains(stamped, c.name) {
			names = append(names, "`"+c.name+"`")
		}
	}
	rows, err := db.Query("SELECT " + strings.Join(names, ", ") + " FROM `" + table + "` ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = v.String
			if !v.Valid {
				parts[i] = "NULL"
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// BenchmarkLoad measures a forced reload of the whole practice (delete the demo's rows, insert them again).
func BenchmarkLoad(b *testing.B) {
	db := storetest.New(b).SQL()
	ctx := context.Background()
	for b.Loop() {
		if _, err := demo.Load(ctx, db, demo.Options{Force: true}); err != nil {
			b.Fatal(err)
		}
	}
}
