package frontdesk_test

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/embedded"
	"github.com/odsim/odsim/store/frontdesk"
	"github.com/odsim/odsim/store/storetest"
)

// engines runs fn once against a fresh MariaDB database and once against the embedded engine, each with
// odsim's schema and seed definitions.
func engines(t *testing.T, fn func(t *testing.T, db *sql.DB)) {
	t.Helper()
	t.Run("mariadb", func(t *testing.T) {
		t.Parallel()
		fn(t, storetest.New(t).SQL())
	})
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		fn(t, embeddedDB(t))
	})
}

func embeddedDB(t *testing.T) *sql.DB {
	t.Helper()
	ctx := context.Background()
	srv, err := embedded.Start(ctx, embedded.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start embedded database: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	db, err := store.Open(ctx, srv.DSN())
	if err != nil {
		t.Fatalf("open embedded database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Apply(ctx); err != nil {
		t.Fatalf("apply schema: %v", err)
	}
	return db.SQL()
}

// practice is a minimal practice written through the desk itself: a provider, two operatories (one a
// hygiene chair) and a patient.
type practice struct {
	prov, hyg, op, hygOp, pat int64
}

func newPractice(t *testing.T, ctx context.Context, d *frontdesk.Desk) practice {
	t.Helper()
	var p practice
	var err error
	must := func(n int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatalf("set up practice: %v", err)
		}
		return n
	}
	p.prov = must(d.AddProvider(ctx, frontdesk.Set{{"Abbr", "DrA"}, {"LName", "Adams"}}))
	p.hyg = must(d.AddProvider(ctx, frontdesk.Set{{"Abbr", "HygB"}, {"Specialty", frontdesk.DefName("Hygienist")}}))
	p.op = must(d.AddOperatory(ctx, frontdesk.Set{{"OpName", "Op 1"}, {"ProvDentist", p.prov}, {"ClinicNum", 0}}))
	p.hygOp = must(d.AddOperatory(ctx, frontdesk.Set{{"OpName", "Hyg 1"}, {"ProvDentist", p.prov}, {"ProvHygienist", p.hyg}, {"IsHygiene", true}}))
	p.pat, err = d.AddPatient(ctx, frontdesk.Set{{"LName", "Doe"}, {"FName", "Jane"}, {"Birthdate", "1990-04-02"}})
	if err != nil {
		t.Fatalf("add patient: %v", err)
	}
	return p
}

func queryString(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRow(q, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

// joined reads one row and joins its columns with "|" (NULL as "").
func joined(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		t.Fatalf("%s: no row (%v)", q, rows.Err())
	}
	vals := make([]sql.NullString, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := rows.Scan(dest...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = v.String
	}
	return strings.Join(out, "|")
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestAddPatientWritesAFullRowAndOwnFamily(t *testing.T) {
	engines(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		d := frontdesk.New(db)
		p := newPractice(t, ctx, d)
		got := joined(t, db, "SELECT Guarantor, Gender, BillingType, PriProv, SecUserNumEntry, BillingCycleDay, SchedBeforeTime, DateTimeDeceased, Title FROM patient WHERE PatNum = ?", p.pat)
		want := strings.Join([]string{itoa(p.pat), "2", "40", itoa(p.prov), "1", "1", "00:00:00", "0001-01-01 00:00:00", ""}, "|")
		if got != want {
			t.Errorf("new patient row = %s, want %s (Guarantor|Gender|BillingType|PriProv|SecUserNumEntry|BillingCycleDay|SchedBeforeTime|DateTimeDeceased|Title)", got, want)
		}
		if _, err := d.AddPatient(ctx, frontdesk.Set{{"LName", "Solo"}}); !frontdesk.IsRefused(err) {
			t.Errorf("patient without FName: err = %v, want a refusal", err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAppointmentLifecycle(t *testing.T) {
	engines(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		d := frontdesk.New(db)
		p := newPractice(t, ctx, d)
		apt, err := d.BookAppointment(ctx, frontdesk.Set{{"PatNum", p.pat}, {"Op", p.hygOp}, {"AptDateTime", "2026-12-02 09:00:00"}, {"ProcDescript", "PerEx, Pro"}})
		if err != nil {
			t.Fatalf("book: %v", err)
		}
		if got := joined(t, db, "SELECT AptStatus, Confirmed, Pattern, ProvNum, ProvHyg, IsHygiene FROM appointment WHERE AptNum = ?", apt); got != strings.Join([]string{"1", "19", frontdesk.DefaultPattern, itoa(p.prov), itoa(p.hyg), "1"}, "|") {
			t.Errorf("booked appointment = %s", got)
		}

		steps := []struct {
			name    string
			do      func() (bool, error)
			changed bool
		}{
			{"confirm", func() (bool, error) {
				return d.ConfirmAppointment(ctx, apt, frontdesk.DefName("Appointment Confirmed"))
			}, true},
			{"confirm again", func() (bool, error) { return d.ConfirmAppointment(ctx, apt, int64(21)) }, false},
			{"arrive", func() (bool, error) {
				return d.MarkTime(ctx, apt, frontdesk.Arrived, time.Date(2026, 12, 2, 8, 52, 0, 0, time.UTC), nil)
			}, true},
			{"seat", func() (bool, error) {
				return d.MarkTime(ctx, apt, frontdesk.Seated, time.Date(2026, 12, 2, 9, 3, 0, 0, time.UTC), nil)
			}, true},
			{"dismiss", func() (bool, error) {
				return d.MarkTime(ctx, apt, frontdesk.Dismissed, time.Date(2026, 12, 2, 9, 55, 0, 0, time.UTC), nil)
			}, true},
			{"complete", func() (bool, error) { return d.CompleteAppointment(ctx, apt) }, true},
		}
		for _, s := range steps {
			changed, err := s.do()
			if err != nil || changed != s.changed {
				t.Fatalf("%s: changed %v, err %v; want changed %v", s.name, changed, err, s.changed)
			}
		}
		got := joined(t, db, "SELECT AptStatus, Confirmed, DateTimeArrived, DateTimeSeated, DateTimeDismissed FROM appointment WHERE AptNum = ?", apt)
		if want := "2|246|2026-12-02 08:52:00|2026-12-02 09:03:00|2026-12-02 09:55:00"; got != want {
			t.Errorf("after the visit: %s, want %s", got, want)
		}
		// Created, then one Changed row per real change (the repeated confirmation wrote none).
		if got := queryString(t, db, "SELECT GROUP_CONCAT(HistApptAction ORDER BY HistApptNum SEPARATOR '') FROM histappointment WHERE AptNum = ?", apt); got != "011111" {
			t.Errorf("history actions = %s, want 011111", got)
		}
		if _, err := d.BreakAppointment(ctx, apt, false); !frontdesk.IsRefused(err) {
			t.Errorf("breaking a complete appointment: err = %v, want a refusal", err)
		}

		hist, err := d.DeleteAppointment(ctx, apt)
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM appointment WHERE AptNum = ?", apt); n != 0 {
			t.Errorf("deleted appointment still there")
		}
		got = joined(t, db, "SELECT HistApptAction, AptNum, PatNum, AptStatus, ProcDescript, DateTimeSeated FROM histappointment WHERE HistApptNum = ?", hist)
		if want := "4|" + itoa(apt) + "|" + itoa(p.pat) + "|2|PerEx, Pro|2026-12-02 09:03:00"; got != want {
			t.Errorf("Deleted history row = %s, want %s", got, want)
		}
	})
}

func TestBreakRescheduleUnschedule(t *testing.T) {
	engines(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		d := frontdesk.New(db)
		p := newPractice(t, ctx, d)
		apt, err := d.BookAppointment(ctx, frontdesk.Set{{"PatNum", p.pat}, {"Op", p.op}, {"AptDateTime", "2026-12-02 10:00:00"}})
		if err != nil {
			t.Fatalf("book: %v", err)
		}
		if _, err := d.BreakAppointment(ctx, apt, true); err != nil {
			t.Fatalf("break: %v", err)
		}
		if _, err := d.RescheduleAppointment(ctx, apt, frontdesk.Set{{"AptDateTime", "2026-12-04 14:00:00"}, {"Op", p.hygOp}}); err != nil {
			t.Fatalf("reschedule: %v", err)
		}
		if _, err := d.UnscheduleAppointment(ctx, apt, frontdesk.DefName("Patient Will Call Us")); err != nil {
			t.Fatalf("unschedule: %v", err)
		}
		got := joined(t, db, "SELECT AptStatus, AptDateTime, Op, UnschedStatus FROM appointment WHERE AptNum = ?", apt)
		if want := "3|2026-12-04 14:00:00|" + itoa(p.hygOp) + "|95"; got != want {
			t.Errorf("appointment = %s, want %s", got, want)
		}
		if got := queryString(t, db, "SELECT GROUP_CONCAT(HistApptAction ORDER BY HistApptNum SEPARATOR '') FROM histappointment WHERE AptNum = ?", apt); got != "0311" {
			t.Errorf("history actions = %s, want 0311 (created, cancelled, changed, changed)", got)
		}
	})
}

func TestPatFieldsAndMerge(t *testing.T) {
	engines(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		d := frontdesk.New(db)
		p := newPractice(t, ctx, d)
		mustExec(t, db, "INSERT INTO patfielddef (FieldName, FieldType, PickList, ItemOrder, IsHidden) VALUES ('Referral', 1, '', 0, 0), ('Consent', 3, '', 1, 0), ('Contact', 0, '', 2, 0)")
		mustExec(t, db, "INSERT INTO patfieldpickitem (PatFieldDefNum, Name, Abbreviation, IsHidden, ItemOrder) VALUES (1, 'Google', 'G', 0, 0), (1, 'Friend', 'F', 0, 1)")

		dup, err := d.AddPatient(ctx, frontdesk.Set{{"LName", "Doe"}, {"FName", "Jane"}})
		if err != nil {
			t.Fatalf("add duplicate: %v", err)
		}
		kid, err := d.AddPatient(ctx, frontdesk.Set{{"LName", "Doe"}, {"FName", "Kid"}, {"Guarantor", dup}, {"Position", "Child"}})
		if err != nil {
			t.Fatalf("add child: %v", err)
		}
		set := func(pat int64, field, v string) {
			t.Helper()
			if _, _, err := d.SetPatField(ctx, pat, field, v); err != nil {
				t.Fatalf("set %s: %v", field, err)
			}
		}
		set(p.pat, "Referral", "Google")
		set(dup, "Referral", "Friend")
		set(dup, "Consent", "1")
		set(dup, "Contact", "Mom 555-0100")
		if _, changed, err := d.SetPatField(ctx, dup, "Contact", "Mom 555-0100"); err != nil || changed {
			t.Errorf("same value again: changed %v, err %v; want no change", changed, err)
		}
		for _, bad := range [][2]string{{"Referral", "Radio"}, {"Consent", "0"}, {"Nope", "x"}} {
			if _, _, err := d.SetPatField(ctx, dup, bad[0], bad[1]); !frontdesk.IsRefused(err) {
				t.Errorf("set %s = %q: err = %v, want a refusal", bad[0], bad[1], err)
			}
		}
		apt, err := d.BookAppointment(ctx, frontdesk.Set{{"PatNum", dup}, {"Op", p.op}, {"AptDateTime", "2026-12-02 11:00:00"}})
		if err != nil {
			t.Fatalf("book: %v", err)
		}

		res, err := d.MergePatients(ctx, dup, p.pat, false)
		if err != nil {
			t.Fatalf("merge: %v", err)
		}
		if res != (frontdesk.MergeResult{Appointments: 1, PatFields: 2, FamilyMembers: 2}) {
			t.Errorf("merge result = %+v", res)
		}
		if got := queryString(t, db, "SELECT PatNum FROM appointment WHERE AptNum = ?", apt); got != itoa(p.pat) {
			t.Errorf("appointment moved to %s, want %d", got, p.pat)
		}
		got := queryString(t, db, "SELECT GROUP_CONCAT(CONCAT(PatNum, ':', FieldName, '=', FieldValue) ORDER BY PatFieldNum SEPARATOR ', ') FROM patfield")
		want := itoa(p.pat) + ":Referral=Google, " + itoa(dup) + ":Referral=Friend, " + itoa(p.pat) + ":Consent=1, " + itoa(p.pat) + ":Contact=Mom 555-0100"
		if got != want {
			t.Errorf("patient fields after merge:\n got %s\nwant %s", got, want)
		}
		got = queryString(t, db, "SELECT GROUP_CONCAT(CONCAT(PatNum, ':', Guarantor, ':', PatStatus) ORDER BY PatNum SEPARATOR ' ') FROM patient WHERE PatNum IN (?, ?)", dup, kid)
		if want := itoa(dup) + ":" + itoa(p.pat) + ":3 " + itoa(kid) + ":" + itoa(p.pat) + ":0"; got != want {
			t.Errorf("merged-from family (PatNum:Guarantor:PatStatus) = %s, want %s", got, want)
		}

		if deleted, err := d.ClearPatField(ctx, p.pat, "Consent"); err != nil || !deleted {
			t.Errorf("clear: deleted %v, err %v", deleted, err)
		}
	})
}

func TestScheduleWithOperatories(t *testing.T) {
	engines(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		d := frontdesk.New(db)
		p := newPractice(t, ctx, d)
		num, err := d.AddSchedule(ctx, frontdesk.Set{{"SchedDate", "2026-12-02"}, {"StartTime", "12:00:00"}, {"StopTime", "13:00:00"},
			{"SchedType", "Blockout"}, {"BlockoutType", frontdesk.DefName("Lunch")}}, []int64{p.op, p.hygOp})
		if err != nil {
			t.Fatalf("add schedule: %v", err)
		}
		if got := queryString(t, db, "SELECT GROUP_CONCAT(OperatoryNum ORDER BY OperatoryNum) FROM scheduleop WHERE ScheduleNum = ?", num); got != itoa(p.op)+","+itoa(p.hygOp) {
			t.Errorf("operatories = %s", got)
		}
		changed, err := d.UpdateSchedule(ctx, num, nil, []int64{p.op})
		if err != nil || changed {
			t.Errorf("links only: changed %v, err %v; want the schedule row unchanged", changed, err)
		}
		if _, err := d.AddSchedule(ctx, frontdesk.Set{{"SchedDate", "2026-12-02"}, {"SchedType", "Provider"}}, nil); !frontdesk.IsRefused(err) {
			t.Errorf("provider schedule without ProvNum: err = %v, want a refusal", err)
		}
	})
}

func TestRefusalsWriteNothing(t *testing.T) {
	engines(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		d := frontdesk.New(db)
		p := newPractice(t, ctx, d)
		before := count(t, db, "SELECT COUNT(*) FROM appointment") + count(t, db, "SELECT COUNT(*) FROM histappointment")
		cases := []struct {
			name string
			err  func() error
			want string
		}{
			{"unknown column", func() error {
				_, err := d.BookAppointment(ctx, frontdesk.Set{{"PatNum", p.pat}, {"Colour", 1}})
				return err
			}, "appointment has no column Colour"},
			{"missing patient", func() error {
				_, err := d.BookAppointment(ctx, frontdesk.Set{{"PatNum", 999}, {"Op", p.op}, {"AptDateTime", "2026-12-02 09:00:00"}})
				return err
			}, "appointment.PatNum: patient 999 does not exist"},
			{"bad enum", func() error {
				_, err := d.BookAppointment(ctx, frontdesk.Set{{"PatNum", p.pat}, {"AptStatus", "Rescheduled"}})
				return err
			}, `"Rescheduled" is not one of None, Scheduled`},
			{"bad date", func() error {
				_, err := d.BookAppointment(ctx, frontdesk.Set{{"PatNum", p.pat}, {"Op", p.op}, {"AptDateTime", "2026-12-02"}})
				return err
			}, "is not a date-time"},
			{"wrong definition category", func() error {
				_, err := d.BookAppointment(ctx, frontdesk.Set{{"PatNum", p.pat}, {"Op", p.op}, {"AptDateTime", "2026-12-02 09:00:00"}, {"Confirmed", 40}})
				return err
			}, "definition 40 is in category 4, not 2"},
			{"taken key", func() error {
				_, err := d.AddPatient(ctx, frontdesk.Set{{"PatNum", p.pat}, {"LName", "X"}, {"FName", "Y"}})
				return err
			}, "already exists"},
			{"missing appointment", func() error {
				_, err := d.DeleteAppointment(ctx, 4242)
				return err
			}, "appointment 4242 does not exist"},
		}
		for _, c := range cases {
			err := c.err()
			if !frontdesk.IsRefused(err) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: err = %v, want a refusal containing %q", c.name, err, c.want)
			}
		}
		if after := count(t, db, "SELECT COUNT(*) FROM appointment") + count(t, db, "SELECT COUNT(*) FROM histappointment"); after != before {
			t.Errorf("refused operations wrote rows: %d before, %d after", before, after)
		}
	})
}

func TestImportAppointments(t *testing.T) {
	engines(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		d := frontdesk.New(db)
		p := newPractice(t, ctx, d)
		rows := make([]frontdesk.Set, 1200)
		for i := range rows {
			rows[i] = frontdesk.Set{{"PatNum", p.pat}, {"Op", p.op}, {"AptDateTime", "2026-12-03 09:00:00"}, {"Note", "imported " + strconv.Itoa(i)}}
		}
		first, last, err := d.ImportAppointments(ctx, rows)
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		if last-first != 1199 || count(t, db, "SELECT COUNT(*) FROM appointment WHERE AptNum BETWEEN ? AND ?", first, last) != 1200 {
			t.Errorf("imported range %d-%d does not hold 1200 rows", first, last)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM histappointment"); n != 0 {
			t.Errorf("import wrote %d history rows, want none", n)
		}
		rows[700] = frontdesk.Set{{"PatNum", 31337}, {"Op", p.op}, {"AptDateTime", "2026-12-03 09:00:00"}}
		if _, _, err := d.ImportAppointments(ctx, rows); !frontdesk.IsRefused(err) {
			t.Errorf("import with a missing patient: err = %v, want a refusal", err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM appointment"); n != 1200 {
			t.Errorf("refused import left %d appointments, want 1200", n)
		}
	})
}

func TestExecIsOneTransaction(t *testing.T) {
	// MyISAM, the engine of Open Dental's DDL, cannot roll back; this checks the transaction where the
	// engine supports one: the embedded engine, and MariaDB with the table converted to InnoDB.
	engines(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		d := frontdesk.New(db)
		p := newPractice(t, ctx, d)
		if strings.Contains(queryString(t, db, "SELECT VERSION()"), "MariaDB") {
			mustExec(t, db, "ALTER TABLE patient ENGINE=InnoDB")
		}
		_, err := d.Exec(ctx, []string{"UPDATE patient SET LName = 'Changed'", "INSERT INTO patient (PatNum) VALUES (" + itoa(p.pat) + ")"})
		if err == nil || !strings.Contains(err.Error(), "sql statement 2") {
			t.Fatalf("err = %v, want statement 2 to fail", err)
		}
		if got := queryString(t, db, "SELECT LName FROM patient WHERE PatNum = ?", p.pat); got != "Doe" {
			t.Errorf("LName = %q after the failed transaction, want Doe", got)
		}
	})
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
