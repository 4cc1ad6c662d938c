package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/frontdesk"
)

// The writer plays the practice: an Open Dental client that keeps changing rows of every watched table
// for a while: inserts, updates, appointment deletions the Open Dental way (a histappointment row with
// HistApptAction 4, then the DELETE), and bursts of more than a page of rows in one statement, so that
// windows span several POSTs. Each change writes a new version ("v<N>") into a column the payload shows.
//
// It logs only changes it knows were committed (the statement succeeded and, for an update, changed the
// row; the tables are MyISAM, so a statement that returned is committed), one per line:
//
//	c <table> <pk> <version> <span>   a row inserted or changed to version
//	d <histApptNum> <aptNum> <span>   an appointment deleted, with its history row
//	m <aptNum>                        an appointment deletion whose outcome is unknown (the database went away)
//
// span is 1 when the statement ran across a second boundary (by the host clock, which the database
// on this machine shares), else 0. Only such a statement can fall into the gap that Open Dental's
// algorithm shares (poller/lag_test.go): its rows are stamped with its start but become visible at its
// end, after a poll whose T passed that second may already have read the window.
//
// A statement whose outcome is unknown is not logged: if it happened anyway, its row carries a version
// the log lacks, which the checker counts as unlogged, never as lost.
type writerConfig struct {
	dsn        string
	logPath    string
	duration   time.Duration
	rate       int // single-row changes per second
	burstSize  int // rows per burst statement
	burstEvery time.Duration
	seed       uint64
}

func runWriter(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("writer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg writerConfig
	fs.StringVar(&cfg.dsn, "dsn", "", "database (go-sql-driver DSN with the database name)")
	fs.StringVar(&cfg.logPath, "log", "", "file the committed changes are appended to")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long to keep writing")
	fs.IntVar(&cfg.rate, "rate", 100, "single-row changes per second")
	fs.IntVar(&cfg.burstSize, "burst-size", 1500, "rows changed by one burst statement")
	fs.DurationVar(&cfg.burstEvery, "burst-every", 3*time.Second, "time between bursts (0: none)")
	fs.Uint64Var(&cfg.seed, "seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.OpenFile(cfg.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("writer log: %w", err)
	}
	defer f.Close()
	db, err := openRetry(ctx, cfg.dsn, 30*time.Second)
	if err != nil {
		return err
	}
	defer db.Close()
	w := &writer{cfg: cfg, db: db.SQL(), desk: frontdesk.New(db.SQL()), out: bufio.NewWriter(f),
		rng: rand.New(rand.NewPCG(cfg.seed, 7)), next: map[string]int64{}, live: map[string][]int64{}, stderr: stderr}
	err = w.run(ctx)
	if ferr := w.out.Flush(); ferr != nil && err == nil {
		err = fmt.Errorf("writer log: %w", ferr)
	}
	fmt.Fprintf(stderr, "writer: %d changes, %d deletions, %d statements failed\n", w.changes, w.deletions, w.failed)
	return err
}

// openRetry opens the database, retrying while it does not answer (a restart in progress).
func openRetry(ctx context.Context, dsn string, within time.Duration) (*store.DB, error) {
	deadline := time.Now().Add(within)
	for {
		db, err := store.Open(ctx, dsn)
		if err == nil {
			return db, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, err
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

type writer struct {
	cfg    writerConfig
	db     *sql.DB
	desk   *frontdesk.Desk
	out    *bufio.Writer
	rng    *rand.Rand
	stderr io.Writer

	version int64
	next    map[string]int64   // next primary key per table (the writer is the only one inserting)
	live    map[string][]int64 // rows known to exist, per table

	changes, deletions, failed int
}

// tables the writer inserts into, with their primary key column.
var writerTables = []struct{ table, pk string }{
	{"appointment", "AptNum"}, {"operatory", "OperatoryNum"}, {"patfield", "PatFieldNum"},
	{"patient", "PatNum"}, {"provider", "ProvNum"}, {"schedule", "ScheduleNum"}, {"toothinitial", "ToothInitialNum"},
}

func (w *writer) run(ctx context.Context) error {
	for _, t := range writerTables {
		var max sql.NullInt64
		if err := w.db.QueryRowContext(ctx, "SELECT MAX("+t.pk+") FROM "+t.table).Scan(&max); err != nil {
			return fmt.Errorf("writer: read %s keys: %w", t.table, err)
		}
		w.next[t.table] = max.Int64 + 1
	}
	stop := time.After(w.cfg.duration)
	tick := time.NewTicker(time.Second / time.Duration(max(w.cfg.rate, 1)))
	defer tick.Stop()
	var burst <-chan time.Time
	if w.cfg.burstEvery > 0 {
		bt := time.NewTicker(w.cfg.burstEvery)
		defer bt.Stop()
		burst = bt.C
	}
	flush := time.NewTicker(200 * time.Millisecond)
	defer flush.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return nil
		case <-stop:
			return nil
		case <-flush.C:
			if err := w.out.Flush(); err != nil {
				return fmt.Errorf("writer log: %w", err)
			}
		case <-burst:
			w.note(w.burst(ctx, n))
		case <-tick.C:
			w.note(w.step(ctx))
		}
	}
}

// note counts a failed statement and shows the first few: the database may be restarting.
func (w *writer) note(err error) {
	if err == nil {
		return
	}
	w.failed++
	if w.failed <= 5 {
		fmt.Fprintf(w.stderr, "writer: %v\n", err)
	}
}

func (w *writer) logChange(table string, pk, version int64, span bool) {
	w.changes++
	fmt.Fprintf(w.out, "c\t%s\t%d\t%d\t%d\n", table, pk, version, spanFlag(span))
}

// spans reports whether a statement that ran from start to now crossed a second boundary.
func spans(start time.Time) bool { return time.Now().Unix() != start.Unix() }

func spanFlag(span bool) int {
	if span {
		return 1
	}
	return 0
}

// step makes one single-row change, chosen at random with the weights of a busy front desk.
func (w *writer) step(ctx context.Context) error {
	// Every table gets a few rows before it is updated.
	for _, t := range []string{"provider", "operatory", "patient"} {
		if len(w.live[t]) < 3 {
			return w.insert(ctx, t)
		}
	}
	r := w.rng.IntN(100)
	switch {
	case r < 10:
		return w.insert(ctx, "patient")
	case r < 22:
		return w.update(ctx, "patient")
	case r < 35:
		return w.insert(ctx, "appointment")
	case r < 55:
		return w.update(ctx, "appointment")
	case r < 61:
		return w.deleteAppointment(ctx)
	case r < 64:
		return w.update(ctx, "operatory")
	case r < 67:
		return w.update(ctx, "provider")
	case r < 72:
		return w.insert(ctx, "schedule")
	case r < 77:
		return w.update(ctx, "schedule")
	case r < 83:
		return w.insert(ctx, "patfield")
	case r < 89:
		return w.update(ctx, "patfield")
	case r < 94:
		return w.insert(ctx, "toothinitial")
	default:
		return w.update(ctx, "toothinitial")
	}
}

// watchTable is the WatchTable of a writer table.
func watchTable(table string) string {
	switch table {
	case "patfield":
		return "PatField"
	case "toothinitial":
		return "ToothInitial"
	}
	return strings.ToUpper(table[:1]) + table[1:]
}

func (w *writer) pick(table string) int64 {
	rows := w.live[table]
	return rows[w.rng.IntN(len(rows))]
}

func (w *writer) insert(ctx context.Context, table string) error {
	if table == "appointment" || table == "patfield" || table == "toothinitial" {
		if len(w.live["patient"]) == 0 {
			return w.insert(ctx, "patient")
		}
	}
	pk := w.next[table]
	w.next[table]++ // even when the outcome is unknown: the key may be taken
	w.version++
	v := versionText(w.version)
	var q string
	var args []any
	switch table {
	case "patient":
		q, args = "INSERT INTO patient (PatNum, LName, FName, Address, Guarantor, PriProv) VALUES (?, ?, ?, ?, ?, ?)",
			[]any{pk, "Fault", "Pat" + strconv.FormatInt(pk, 10), v, pk, w.anyLive("provider")}
	case "appointment":
		q, args = "INSERT INTO appointment "+appointmentColumns+" VALUES "+appointmentValues,
			w.appointmentArgs(pk, v)
	case "operatory":
		q, args = "INSERT INTO operatory (OperatoryNum, OpName, Abbrev, ItemOrder) VALUES (?, ?, ?, ?)",
			[]any{pk, v, "OP" + strconv.FormatInt(pk, 10), pk}
	case "provider":
		q, args = "INSERT INTO provider (ProvNum, Abbr, LName, FName, SchedNote) VALUES (?, ?, ?, ?, ?)",
			[]any{pk, "DR" + strconv.FormatInt(pk, 10), "Fault", "Prov", v}
	case "schedule":
		q, args = "INSERT INTO schedule (ScheduleNum, SchedDate, StartTime, StopTime, SchedType, ProvNum, Note) VALUES (?, ?, '08:00:00', '17:00:00', 1, ?, ?)",
			[]any{pk, time.Date(2026, 1, 1+int(pk%300), 0, 0, 0, 0, time.UTC).Format("2006-01-02"), w.anyLive("provider"), v}
	case "patfield":
		q, args = "INSERT INTO patfield (PatFieldNum, PatNum, FieldName, FieldValue) VALUES (?, ?, ?, ?)",
			[]any{pk, w.pick("patient"), "Fault field", v}
	case "toothinitial":
		q, args = "INSERT INTO toothinitial (ToothInitialNum, PatNum, ToothNum, InitialType, DrawText) VALUES (?, ?, ?, 0, ?)",
			[]any{pk, w.pick("patient"), strconv.Itoa(1 + int(pk%32)), v}
	default:
		return fmt.Errorf("insert into %s: not a writer table", table)
	}
	began := time.Now()
	if _, err := w.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("insert %s %d: %w", table, pk, err)
	}
	w.live[table] = append(w.live[table], pk)
	w.logChange(watchTable(table), pk, w.version, spans(began))
	return nil
}

func (w *writer) anyLive(table string) int64 {
	if len(w.live[table]) == 0 {
		return 0
	}
	return w.pick(table)
}

const (
	appointmentColumns = "(AptNum, PatNum, AptStatus, Pattern, Op, ProvNum, AptDateTime, Note, ProcDescript)"
	appointmentValues  = "(?, ?, 1, '//XX//', ?, ?, ?, ?, 'Ex')"
)

func (w *writer) appointmentArgs(pk int64, v string) []any {
	at := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC).Add(time.Duration(pk%2000) * 20 * time.Minute)
	return []any{pk, w.pick("patient"), w.anyLive("operatory"), w.anyLive("provider"), at.Format("2006-01-02 15:04:05"), v}
}

// versionColumn is the column of each writer table that holds the version.
var versionColumn = map[string]string{
	"appointment": "Note", "operatory": "OpName", "patfield": "FieldValue", "patient": "Address",
	"provider": "SchedNote", "schedule": "Note", "toothinitial": "DrawText",
}

func (w *writer) update(ctx context.Context, table string) error {
	if len(w.live[table]) == 0 {
		return w.insert(ctx, table)
	}
	pk := w.pick(table)
	w.version++
	pkCol := ""
	for _, t := range writerTables {
		if t.table == table {
			pkCol = t.pk
		}
	}
	began := time.Now()
	res, err := w.db.ExecContext(ctx, "UPDATE "+table+" SET "+versionColumn[table]+" = ? WHERE "+pkCol+" = ?", versionText(w.version), pk)
	if err != nil {
		return fmt.Errorf("update %s %d: %w", table, pk, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("update %s %d: %d rows changed (%v)", table, pk, n, err)
	}
	w.logChange(watchTable(table), pk, w.version, spans(began))
	return nil
}

// deleteAppointment deletes an appointment as Open Dental does (store/frontdesk): the history row with
// action Deleted, then the DELETE.
func (w *writer) deleteAppointment(ctx context.Context) error {
	rows := w.live["appointment"]
	if len(rows) < 20 {
		return w.insert(ctx, "appointment")
	}
	i := w.rng.IntN(len(rows))
	apt := rows[i]
	rows[i] = rows[len(rows)-1]
	w.live["appointment"] = rows[:len(rows)-1]
	began := time.Now()
	hist, err := w.desk.DeleteAppointment(ctx, apt)
	if err != nil {
		fmt.Fprintf(w.out, "m\t%d\n", apt)
		return fmt.Errorf("delete appointment %d: %w", apt, err)
	}
	w.deletions++
	fmt.Fprintf(w.out, "d\t%d\t%d\t%d\n", hist, apt, spanFlag(spans(began)))
	return nil
}

// burst changes burstSize appointments in one statement, alternately inserting new ones and updating
// existing ones, so that one window holds more than a page.
func (w *writer) burst(ctx context.Context, n int) error {
	if len(w.live["patient"]) == 0 || w.cfg.burstSize <= 0 {
		return nil
	}
	w.version++
	v := versionText(w.version)
	live := w.live["appointment"]
	if n%2 == 1 && len(live) >= w.cfg.burstSize {
		keys := make([]int64, 0, w.cfg.burstSize)
		for _, i := range w.rng.Perm(len(live))[:w.cfg.burstSize] {
			keys = append(keys, live[i])
		}
		var in strings.Builder
		for i, k := range keys {
			if i > 0 {
				in.WriteByte(',')
			}
			in.WriteString(strconv.FormatInt(k, 10))
		}
		began := time.Now()
		res, err := w.db.ExecContext(ctx, "UPDATE appointment SET Note = ? WHERE AptNum IN ("+in.String()+")", v)
		if err != nil {
			return fmt.Errorf("burst update: %w", err)
		}
		if m, err := res.RowsAffected(); err != nil || int(m) != len(keys) {
			return fmt.Errorf("burst update: %d of %d rows changed (%v)", m, len(keys), err)
		}
		span := spans(began)
		for _, k := range keys {
			w.logChange("Appointment", k, w.version, span)
		}
		return nil
	}
	first := w.next["appointment"]
	w.next["appointment"] += int64(w.cfg.burstSize)
	values := make([]string, w.cfg.burstSize)
	args := make([]any, 0, 6*w.cfg.burstSize)
	for i := range values {
		values[i] = appointmentValues
		args = append(args, w.appointmentArgs(first+int64(i), v)...)
	}
	began := time.Now()
	if _, err := w.db.ExecContext(ctx, "INSERT INTO appointment "+appointmentColumns+" VALUES "+strings.Join(values, ","), args...); err != nil {
		return fmt.Errorf("burst insert: %w", err)
	}
	span := spans(began)
	for i := range values {
		k := first + int64(i)
		w.live["appointment"] = append(w.live["appointment"], k)
		w.logChange("Appointment", k, w.version, span)
	}
	return nil
}

// changeLog is the writer's log, read back by the checker.
type changeLog struct {
	changes      []change
	deleted      map[int64]bool // appointments deleted (with a logged history row)
	maybeDeleted map[int64]bool // appointments whose deletion may or may not have happened
	histRows     []change       // history rows of deletions (table AppointmentDeleted, version 0)
}

type change struct {
	table   string
	pk      int64
	version int64
	span    bool // its statement ran across a second boundary
}

func readChangeLog(path string) (changeLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return changeLog{}, fmt.Errorf("read writer log: %w", err)
	}
	defer f.Close()
	cl := changeLog{deleted: map[int64]bool{}, maybeDeleted: map[int64]bool{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Split(sc.Text(), "\t")
		nums := make([]int64, 0, 3)
		for _, s := range fields[1:] {
			if v, err := strconv.ParseInt(s, 10, 64); err == nil {
				nums = append(nums, v)
			}
		}
		switch {
		case fields[0] == "c" && len(fields) == 5 && len(nums) == 3:
			cl.changes = append(cl.changes, change{fields[1], nums[0], nums[1], nums[2] == 1})
		case fields[0] == "d" && len(nums) == 3:
			cl.histRows = append(cl.histRows, change{"AppointmentDeleted", nums[0], 0, nums[2] == 1})
			cl.deleted[nums[1]] = true
		case fields[0] == "m" && len(nums) == 1:
			cl.maybeDeleted[nums[0]] = true
		default:
			return cl, fmt.Errorf("writer log line %d: %q", n, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return cl, fmt.Errorf("read writer log: %w", err)
	}
	if len(cl.changes) == 0 {
		return cl, errors.New("writer log holds no changes")
	}
	return cl, nil
}
