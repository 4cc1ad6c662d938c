// Command embedded measures odsim's embedded database (store/embedded) over the MySQL protocol, the way
// odsim and a user's client reach it: start-up time to a ready schema, and the median latency of a
// primary-key UPDATE on appointment and of the poller's window SELECT (appointment with its joins, one
// 1000-row page), at the demo practice's size (300 appointments, 60 patients) and at ten times that.
//
//	go run ./bench/embedded
//	go run ./bench/embedded -scales 1,10,30 -cpuprofile cpu.out -explain
//
// Figures are medians (p50) and 90th percentiles over many runs of each statement, on one connection
// with the session settings odsim uses (sql_mode=”, text dates, client-side parameter interpolation).
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/store/demo"
	"github.com/odsim/odsim/store/embedded"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/embedded:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("embedded", flag.ContinueOnError)
	scales := fs.String("scales", "1,10", "comma-separated multiples of the demo size (300 appointments, 60 patients)")
	updates := fs.Int("updates", 200, "primary-key UPDATEs timed per scale")
	polls := fs.Int("polls", 30, "window SELECTs timed per scale")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed statements to this file")
	explain := fs.Bool("explain", false, "print the engine's plan of the window SELECT")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	d, err := startWithDemo(context.Background())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "start-up to ready with the demo practice (Start, store.Apply, demo.Load)  %8.1f ms\n", ms(d))
	for _, s := range strings.Split(*scales, ",") {
		scale, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || scale < 1 {
			return fmt.Errorf("bad scale %q", s)
		}
		r, err := measure(context.Background(), scale, *updates, *polls, *explain)
		if err != nil {
			return fmt.Errorf("scale %d: %w", scale, err)
		}
		fmt.Fprintf(stdout, "scale %dx: %d appointments, %d patients\n", scale, r.size.appointments, r.size.patients)
		fmt.Fprintf(stdout, "  start-up to ready (listen, CREATE TABLE x18, seed definitions)  %8.1f ms\n", ms(r.startup))
		fmt.Fprintf(stdout, "  load practice rows                                             %8.1f ms\n", ms(r.load))
		fmt.Fprintf(stdout, "  Go heap in use after the load                                  %8.1f MB\n", float64(r.heap)/(1<<20))
		fmt.Fprintf(stdout, "  UPDATE appointment by primary key          p50 %9s  p90 %9s\n", r.update.p50(), r.update.p90())
		fmt.Fprintf(stdout, "  poll, full page (%4d rows), string bounds p50 %9s  p90 %9s\n", r.pageRows, r.pollPage.p50(), r.pollPage.p90())
		fmt.Fprintf(stdout, "  poll, full page (%4d rows), CAST bounds   p50 %9s  p90 %9s\n", r.pageRows, r.pollCast.p50(), r.pollCast.p90())
		fmt.Fprintf(stdout, "  poll, last minute (%4d rows changed)      p50 %9s  p90 %9s\n", r.recentRows, r.pollRecent.p50(), r.pollRecent.p90())
		fmt.Fprintf(stdout, "  poll, nothing changed (0 rows)             p50 %9s  p90 %9s\n", r.pollQuiet.p50(), r.pollQuiet.p90())
	}
	return nil
}

// result holds one scale's figures.
type result struct {
	size       size
	startup    time.Duration // Start + schema + seed definitions, until a client can use every table
	load       time.Duration // the practice's rows
	heap       uint64        // bytes of Go heap in use after the load, engine and client together
	update     timings
	pollPage   timings // a window holding every appointment: one full page
	pollCast   timings // the same with the bounds cast to DATETIME in SQL
	pollRecent timings // a window holding the rows changed in the last minute
	pollQuiet  timings // a window in which nothing changed, the usual poll
	recentRows int
	pageRows   int
}

func measure(ctx context.Context, scale, updates, polls int, explain bool) (result, error) {
	sz := size{appointments: 300 * scale, patients: 60 * scale}
	r := result{size: sz}

	t0 := time.Now()
	srv, db, err := startWithSchema(ctx)
	if err != nil {
		return r, err
	}
	defer srv.Close()
	defer db.Close()
	r.startup = time.Since(t0)

	t0 = time.Now()
	if err := load(ctx, db, sz); err != nil {
		return r, err
	}
	r.load = time.Since(t0)
	r.heap = heapInUse()
	if explain {
		if err := printPlan(ctx, db); err != nil {
			return r, err
		}
	}

	upd, err := db.PrepareContext(ctx, updateSQL)
	if err != nil {
		return r, fmt.Errorf("prepare update: %w", err)
	}
	defer upd.Close()
	for i := range updates {
		apt := 1 + (i*7919)%sz.appointments
		t := time.Now()
		if _, err := upd.ExecContext(ctx, fmt.Sprintf("note %d", i), apt); err != nil {
			return r, fmt.Errorf("update: %w", err)
		}
		r.update = append(r.update, time.Since(t))
	}

	full := window{from: "2000-01-01 00:00:00", to: "2037-12-31 00:00:00", limit: 1000}
	for _, c := range []struct {
		q    string
		into *timings
	}{{pollSQL, &r.pollPage}, {pollCastSQL, &r.pollCast}} {
		for range polls {
			t := time.Now()
			n, err := pollPage(ctx, db, c.q, full)
			if err != nil {
				return r, err
			}
			*c.into = append(*c.into, time.Since(t))
			if want := min(sz.appointments, 1000); n != want {
				return r, fmt.Errorf("poll page read %d rows, want %d", n, want)
			}
			r.pageRows = n
		}
	}

	var now string
	if err := db.QueryRowContext(ctx, "SELECT NOW()").Scan(&now); err != nil {
		return r, fmt.Errorf("now: %w", err)
	}
	end, err := time.Parse(time.DateTime, now)
	if err != nil {
		return r, fmt.Errorf("now: %w", err)
	}
	recent := window{from: end.Add(-time.Minute).Format(time.DateTime), to: end.Add(time.Second).Format(time.DateTime), limit: 1000}
	quiet := window{from: end.Add(time.Second).Format(time.DateTime), to: end.Add(2 * time.Second).Format(time.DateTime), limit: 1000}
	for range polls {
		t := time.Now()
		n, err := pollPage(ctx, db, pollSQL, recent)
		if err != nil {
			return r, err
		}
		r.pollRecent = append(r.pollRecent, time.Since(t))
		r.recentRows = n

		t = time.Now()
		if n, err := pollPage(ctx, db, pollSQL, quiet); err != nil || n != 0 {
			return r, fmt.Errorf("quiet poll: %d rows, %v", n, err)
		}
		r.pollQuiet = append(r.pollQuiet, time.Since(t))
	}
	return r, nil
}

// startWithSchema starts an embedded server on a free port and creates Open Dental's tables and seed
// definitions with store.Apply, as `odsim serve` does before it answers.
func startWithSchema(ctx context.Context) (*embedded.Server, *sql.DB, error) {
	srv, err := embedded.Start(ctx, embedded.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		return nil, nil, err
	}
	// Same session settings as odsim's store: sql_mode='', dates as text, client-side interpolation.
	db, err := sql.Open("mysql", srv.DSN()+"?sql_mode=%27%27&interpolateParams=true&parseTime=false")
	if err != nil {
		srv.Close()
		return nil, nil, fmt.Errorf("open: %w", err)
	}
	if _, err := store.Apply(ctx, db); err != nil {
		db.Close()
		srv.Close()
		return nil, nil, err
	}
	return srv, db, nil
}

// startWithDemo is startWithSchema followed by the demo practice, which is what `odsim serve` does
// without --dsn before it answers.
func startWithDemo(ctx context.Context) (time.Duration, error) {
	t0 := time.Now()
	srv, db, err := startWithSchema(ctx)
	if err != nil {
		return 0, err
	}
	defer srv.Close()
	defer db.Close()
	if _, err := demo.Load(ctx, db, demo.Options{}); err != nil {
		return 0, fmt.Errorf("demo: %w", err)
	}
	return time.Since(t0), nil
}

// updateSQL is what a user's client or a scenario sends to change one appointment.
const updateSQL = "UPDATE appointment SET Note = ? WHERE AptNum = ?"

// pollSQL is the poller's Appointment window query (store's field table for Appointment): the
// appointment with its confirmation, provider and unscheduled-status joins, ordered by the watch column
// and the key, one page of at most 1000 rows.
const pollSQL = "SELECT a.AptNum, a.PatNum, a.AptStatus, a.Pattern, a.Confirmed, dc.ItemName, a.TimeLocked, a.Op," +
	" a.Note, a.ProvNum, p.Abbr, a.ProvHyg, a.AptDateTime, a.NextAptNum, a.UnschedStatus, du.ItemName," +
	" a.IsNewPatient, a.ProcDescript, a.ClinicNum, a.IsHygiene, a.DateTStamp, a.DateTimeArrived," +
	" a.DateTimeSeated, a.DateTimeDismissed, a.InsPlan1, a.InsPlan2, a.DateTimeAskedToArrive, a.ColorOverride," +
	" a.AppointmentTypeNum, a.SecDateTEntry, a.Priority, a.PatternSecondary, a.ItemOrderPlanned, a.DateTStamp" +
	" FROM appointment a" +
	" LEFT JOIN definition dc ON dc.DefNum = a.Confirmed AND dc.Category = 2" +
	" LEFT JOIN provider p ON p.ProvNum = a.ProvNum" +
	" LEFT JOIN definition du ON du.DefNum = a.UnschedStatus AND du.Category = 13" +
	" WHERE a.DateTStamp >= ? AND a.DateTStamp < ?" +
	" ORDER BY a.DateTStamp, a.AptNum LIMIT ?, ?"

// pollCastSQL is pollSQL with its window bounds cast to DATETIME, which go-mysql-server folds into
// constants instead of parsing the bound strings again for every row.
var pollCastSQL = strings.Replace(pollSQL, "a.DateTStamp >= ? AND a.DateTStamp < ?",
	"a.DateTStamp >= CAST(? AS DATETIME) AND a.DateTStamp < CAST(? AS DATETIME)", 1)

// window is the bound parameters of one poll page.
type window struct {
	from, to      string
	offset, limit int
}

// pollPage reads one page of a window, as text, and returns its row count.
func pollPage(ctx context.Context, db *sql.DB, query string, w window) (int, error) {
	rows, err := db.QueryContext(ctx, query, w.from, w.to, w.offset, w.limit)
	if err != nil {
		return 0, fmt.Errorf("poll: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, fmt.Errorf("poll: %w", err)
	}
	raw := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	for i := range raw {
		dest[i] = &raw[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, fmt.Errorf("poll: %w", err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("poll: %w", err)
	}
	return n, nil
}

// printPlan prints go-mysql-server's plan for the window SELECT (EXPLAIN PLAN), for tuning.
func printPlan(ctx context.Context, db *sql.DB) error {
	q := strings.Replace(pollSQL, "?", "'2000-01-01 00:00:00'", 1)
	q = strings.Replace(q, "?", "'2037-12-31 00:00:00'", 1)
	q = strings.Replace(strings.Replace(q, "?", "0", 1), "?", "1000", 1)
	rows, err := db.QueryContext(ctx, "EXPLAIN PLAN "+q)
	if err != nil {
		return fmt.Errorf("explain: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("explain: %w", err)
		}
		fmt.Println(line)
	}
	return rows.Err()
}

type timings []time.Duration

func (t timings) p50() string { return t.pct(50) }
func (t timings) p90() string { return t.pct(90) }

func (t timings) pct(p int) string {
	if len(t) == 0 {
		return "-"
	}
	s := slices.Clone(t)
	slices.Sort(s)
	return fmt.Sprintf("%.2f ms", ms(s[(len(s)-1)*p/100]))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
