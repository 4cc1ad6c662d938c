// Command bench measures odsim's database events end to end against a MariaDB (or MySQL) server, as a
// user pointing odsim at a big test database would see them: it loads N changed rows into each watched
// table, runs the real `odsim serve` binary as its own process with one subscription per table to a
// loopback receiver in this process, and prints how fast the rows arrived next to the floor — the time
// the database alone takes to hand the same pages to a Go client. It also measures change-to-delivery
// latency, the CPU cost of idle subscriptions, and what odsim spends while every receiver is down.
//
//	go run ./bench                          # from the repository root: 10k, 100k and 1M, latency, idle, dead endpoints (~18 min)
//	go run ./bench -sizes 10k,100k          # a few minutes more than the dead-endpoint run
//	go run ./bench -sizes 10k -latency 0 -idle 0 -deadend 0 -out -
//	go run ./bench -sizes '' -latency 0 -idle 0  # the dead-endpoint run alone
//
// Each size gets a fresh database (odsim_bench_<random>) on -dsn, dropped afterwards. Results are
// printed and written to bench/results/<date>.txt. See bench/README.md.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/subscriptions"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// config is the bench's command line.
type config struct {
	dsn        string
	sizes      []int
	tables     []subscriptions.WatchTable
	latency    int
	idle       int
	idleFor    time.Duration
	odsim      string
	out        string
	label      string
	keep       bool
	serveFlags []string
	repeat     int

	deadend     int           // subscriptions to a closed port (0 skips)
	deadendFor  time.Duration // how long they are measured
	deadendRate float64       // changes a second meanwhile
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := getenv("ODSIM_BENCH_DSN")
	if dsn == "" {
		dsn = "root@tcp(127.0.0.1:3306)/"
	}
	var cfg config
	fs.StringVar(&cfg.dsn, "dsn", dsn, "MariaDB/MySQL server, go-sql-driver form without a database (env ODSIM_BENCH_DSN)")
	sizes := fs.String("sizes", "10k,100k,1M", "changed rows per watched table, comma-separated (10k, 100k, 1M, ...)")
	tables := fs.String("tables", "Appointment,Patient,PatField,Schedule", "watched tables loaded and subscribed to")
	fs.IntVar(&cfg.latency, "latency", 1000, "single-row changes timed from UPDATE to arrival, with PollingSeconds=1 (0 skips)")
	fs.IntVar(&cfg.idle, "idle", 1000, "idle subscriptions whose CPU cost is measured (0 skips)")
	fs.DurationVar(&cfg.idleFor, "idle-for", 60*time.Second, "how long the idle CPU is measured")
	fs.StringVar(&cfg.odsim, "odsim", "", "odsim binary to run (default: go build ./cmd/odsim into a temporary folder)")
	fs.StringVar(&cfg.out, "out", "", `results file (default bench/results/<date>.txt; "-" prints only)`)
	fs.StringVar(&cfg.label, "label", "", "a note printed in the results header (what was measured)")
	fs.IntVar(&cfg.repeat, "repeat", 0, "runs of the floor and of odsim per size, alternating; the best of each is kept (default 3 up to 100k rows per table, 1 above)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the bench databases instead of dropping them")
	fs.IntVar(&cfg.deadend, "deadend", 1000, "subscriptions to a port that refuses connections, while a writer runs: odsim's memory, CPU, --record and log (0 skips)")
	fs.DurationVar(&cfg.deadendFor, "deadend-for", 3*time.Minute, "how long the dead endpoints are measured")
	fs.Float64Var(&cfg.deadendRate, "deadend-rate", 2, "appointments added per second while the endpoints are dead")
	serve := fs.String("serve-flags", "", "extra flags for odsim serve, space-separated")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	for _, s := range strings.Split(*sizes, ",") {
		if strings.TrimSpace(*sizes) == "" {
			break // -sizes '': no throughput runs
		}
		n, err := parseSize(s)
		if err != nil {
			return config{}, err
		}
		cfg.sizes = append(cfg.sizes, n)
	}
	for _, t := range strings.Split(*tables, ",") {
		wt := subscriptions.WatchTable(strings.TrimSpace(t))
		switch wt {
		case subscriptions.Appointment, subscriptions.Patient, subscriptions.PatField, subscriptions.Schedule:
		default:
			return config{}, fmt.Errorf("-tables: %q is not one the bench loads (Appointment, Patient, PatField, Schedule)", t)
		}
		cfg.tables = append(cfg.tables, wt)
	}
	cfg.serveFlags = strings.Fields(*serve)
	if cfg.deadend < 0 || (cfg.deadend > 0 && (cfg.deadendFor <= 0 || cfg.deadendRate <= 0)) {
		return config{}, errors.New("-deadend must be 0 or more, and with it -deadend-for and -deadend-rate positive")
	}
	if cfg.repeat < 0 {
		return config{}, fmt.Errorf("-repeat must be 1 or more (0: the default), got %d", cfg.repeat)
	}
	return cfg, nil
}

// parseSize reads 10000, 10k or 1M.
func parseSize(s string) (int, error) {
	s = strings.TrimSpace(s)
	mult := 1
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult, s = 1000, s[:len(s)-1]
	case strings.HasSuffix(s, "M"), strings.HasSuffix(s, "m"):
		mult, s = 1000000, s[:len(s)-1]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("-sizes: %q is not a row count (use 10000, 10k or 1M)", s)
	}
	return n * mult, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "odsim-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if cfg.odsim == "" {
		fmt.Fprintln(stderr, "building odsim ...")
		if cfg.odsim, err = buildOdsim(ctx, tmp); err != nil {
			return err
		}
	}
	srv, err := openServer(cfg.dsn)
	if err != nil {
		return err
	}
	defer srv.Close()
	rc, err := newReceiver()
	if err != nil {
		return err
	}
	defer rc.close()

	rep := &report{}
	if err := rep.machine(ctx, srv, cfg); err != nil {
		return err
	}
	b := &bench{cfg: cfg, server: srv, rc: rc, log: stderr, rep: rep}
	for _, n := range cfg.sizes {
		if err := b.throughput(ctx, n); err != nil {
			return fmt.Errorf("%s rows per table: %w", formatSize(n), err)
		}
	}
	if cfg.latency > 0 {
		if err := b.latencyRun(ctx); err != nil {
			return fmt.Errorf("latency: %w", err)
		}
	}
	if cfg.idle > 0 {
		if err := b.idleRun(ctx); err != nil {
			return fmt.Errorf("idle: %w", err)
		}
	}
	if cfg.deadend > 0 {
		if err := b.deadendRun(ctx); err != nil {
			return fmt.Errorf("dead endpoints: %w", err)
		}
	}
	text := rep.String()
	fmt.Fprint(stdout, text)
	if cfg.out == "-" {
		return nil
	}
	path := cfg.out
	if path == "" {
		path = resultsPath(time.Now())
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	fmt.Fprintln(stderr, "results written to", path)
	return nil
}

// resultsPath is bench/results/<date>.txt of the module root, or <date>-2.txt, ... when it exists.
func resultsPath(now time.Time) string {
	dir := "bench/results"
	if out, err := execOutput("go", "env", "GOMOD"); err == nil {
		dir = filepath.Join(filepath.Dir(out), "bench", "results")
	}
	os.MkdirAll(dir, 0o755)
	base := filepath.Join(dir, now.Format("2006-01-02"))
	path := base + ".txt"
	for i := 2; fileExists(path); i++ {
		path = fmt.Sprintf("%s-%d.txt", base, i)
	}
	return path
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// bench holds what the runs share.
type bench struct {
	cfg    config
	server *sql.DB // the server, no database selected
	rc     *receiver
	log    io.Writer
	rep    *report
}

// openServer connects to the server (no database) for creating and dropping the bench databases.
func openServer(dsn string) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("-dsn %q: %w", dsn, err)
	}
	cfg.DBName = ""
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("-dsn %q: %w", dsn, err)
	}
	db := sql.OpenDB(connector)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot reach the database server %s: %w", cfg.Addr, err)
	}
	return db, nil
}

// database is one fresh bench database.
type database struct {
	name string
	dsn  string  // for odsim and the floor
	db   *sql.DB // odsim's session settings (store.ParseDSN)
	drop func()
}

// newDatabase creates odsim_bench_<random> with odsim's schema.
func (b *bench) newDatabase(ctx context.Context) (*database, error) {
	var r [4]byte
	rand.Read(r[:])
	name := "odsim_bench_" + hex.EncodeToString(r[:])
	if _, err := b.server.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	drop := func() {
		if !b.cfg.keep {
			b.server.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name)
		}
	}
	mc, err := mysql.ParseDSN(b.cfg.dsn)
	if err != nil {
		drop()
		return nil, err
	}
	mc.DBName = name
	dsn := mc.FormatDSN()
	sc, err := store.ParseDSN(dsn)
	if err != nil {
		drop()
		return nil, err
	}
	connector, err := mysql.NewConnector(sc)
	if err != nil {
		drop()
		return nil, err
	}
	db := sql.OpenDB(connector)
	if _, err := store.Apply(ctx, db); err != nil {
		db.Close()
		drop()
		return nil, err
	}
	return &database{name: name, dsn: dsn, db: db, drop: func() { db.Close(); drop() }}, nil
}

// subscribe inserts one database-event subscription per table to the receiver, whose window starts at
// start, and returns their numbers.
func subscribe(ctx context.Context, db *sql.DB, url string, tables []subscriptions.WatchTable, pollingSeconds int, start string) error {
	for _, t := range tables {
		_, err := db.ExecContext(ctx, "INSERT INTO apisubscription (EndPointUrl, Workstation, CustomerKey, WatchTable, PollingSeconds, UiEventType, DateTimeStart, DateTimeStop, Note)"+
			" VALUES (?, '', 'VzkmZEaUWOjnQX2z', ?, ?, '', "+start+", '0001-01-01 00:00:00', 'bench')", url+"/"+string(t), string(t), pollingSeconds)
		if err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
	}
	return nil
}

// sleepUntilBeforeTick waits until lead before the next whole second of the host clock, when
// odsim's poller ticks, so that a subscription made then is picked up at once.
func sleepUntilBeforeTick(ctx context.Context, lead time.Duration) error {
	now := time.Now()
	target := now.Truncate(time.Second).Add(time.Second - lead)
	if target.Sub(now) < 5*time.Millisecond {
		target = target.Add(time.Second)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(target)):
		return nil
	}
}

// throughput loads n rows per table, then times the floor and odsim delivering the rows, alternately,
// cfg.repeat times, and keeps the best time of each: on a shared machine the fastest run is the one
// least disturbed by others.
func (b *bench) throughput(ctx context.Context, n int) error {
	db, err := b.newDatabase(ctx)
	if err != nil {
		return err
	}
	defer db.drop()
	fmt.Fprintf(b.log, "%s rows per table: loading into %s ...\n", formatSize(n), db.name)
	loadStart := time.Now()
	data, err := load(ctx, db.db, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.log, "  loaded in %s; warming the caches ...\n", time.Since(loadStart).Round(time.Second))
	if err := warm(ctx, db.db); err != nil {
		return err
	}
	p, err := startOdsim(ctx, b.cfg.odsim, db.dsn, b.cfg.serveFlags...)
	if err != nil {
		return err
	}
	defer func() { p.stop() }()

	runs := b.cfg.repeat
	if runs == 0 {
		runs = 3
		if n > 100_000 {
			runs = 1
		}
	}
	var best throughputResult
	var rss int64
	var ratios []float64
	for run, attempt := 1, 1; run <= runs; attempt++ {
		fl, res, err := b.throughputRun(ctx, p, db, data)
		if err != nil {
			var retry retryable
			if !errors.As(err, &retry) || attempt == 3 {
				return err
			}
			// Not odsim's fault, or a window odsim sent again after a page failed (as it must): the
			// run measured something else. Run it again on a fresh odsim.
			fmt.Fprintf(b.log, "  run %d: %v; running it again\n", run, err)
			p.stop()
			if p, err = startOdsim(ctx, b.cfg.odsim, db.dsn, b.cfg.serveFlags...); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(b.log, "  run %d: odsim %.2fs, floor %.2fs\n", run, res.wall.Seconds(), fl.wall.Seconds())
		ratios = append(ratios, res.wall.Seconds()/fl.wall.Seconds())
		if run == 1 || fl.wall < best.floor.wall {
			best.floor = fl
		}
		if run == 1 || res.wall < best.wall {
			res.floor = best.floor
			best = res
		}
		r, err := peakRSS(p.pid())
		if err != nil {
			return err
		}
		rss = max(rss, r)
		run, attempt = run+1, 0
	}
	best.rss = rss
	best.runs = runs
	best.ratios = ratios
	b.rep.throughput = append(b.rep.throughput, best)
	return nil
}

// retryable is a run's failure that says nothing about odsim's speed: a database error under the
// floor, or a window odsim sent again because one of its pages failed.
type retryable struct{ err error }

func (r retryable) Error() string { return r.err.Error() }
func (r retryable) Unwrap() error { return r.err }

// throughputRun times the floor, then odsim.
func (b *bench) throughputRun(ctx context.Context, p *odsimProc, db *database, data dataset) (floorResult, throughputResult, error) {
	fl, err := readFloor(ctx, db.db, b.cfg.tables, data.windowStart(), 1000)
	if err != nil {
		return floorResult{}, throughputResult{}, retryable{err}
	}
	if want := data.n * len(b.cfg.tables); fl.rows != want {
		return floorResult{}, throughputResult{}, fmt.Errorf("floor read %d rows, want %d", fl.rows, want)
	}
	res, err := b.deliver(ctx, p, db, data)
	return fl, res, err
}

// throughputPollingSeconds is the PollingSeconds of the throughput runs' subscriptions. Their windows
// start two hours back, so they are due at once; after their one big window they are not due again
// during the run, so a table that is done does not load the database with empty polls (a full scan a
// second on the tables without an index on their watch column) while the others are still delivered:
// the floor reads each window once too.
const throughputPollingSeconds = 3600

// deliver makes one subscription per table, due at once with its window over all the loaded rows,
// and times odsim until the receiver has every element.
func (b *bench) deliver(ctx context.Context, p *odsimProc, db *database, data dataset) (throughputResult, error) {
	if _, err := db.db.ExecContext(ctx, "DELETE FROM apisubscription"); err != nil {
		return throughputResult{}, fmt.Errorf("remove subscriptions: %w", err)
	}
	want := map[string]int{}
	for _, t := range b.cfg.tables {
		want["WatchTable: "+string(t)] = data.n
	}
	done := b.rc.expect(want)
	cpu0, err := cpuTime(p.pid())
	if err != nil {
		return throughputResult{}, err
	}
	if err := sleepUntilBeforeTick(ctx, 30*time.Millisecond); err != nil {
		return throughputResult{}, err
	}
	begin := time.Now()
	if err := subscribe(ctx, db.db, b.rc.URL(), b.cfg.tables, throughputPollingSeconds, "'"+data.windowStart().Format(dateTime)+"'"); err != nil {
		return throughputResult{}, err
	}
	timeout := 10*time.Minute + time.Duration(data.n/1000)*10*time.Second
	select {
	case <-done:
	case <-p.exited:
		return throughputResult{}, fmt.Errorf("odsim exited: %s", p.stderr.String())
	case <-ctx.Done():
		return throughputResult{}, ctx.Err()
	case <-time.After(timeout):
		return throughputResult{}, fmt.Errorf("odsim did not deliver every row within %s: %v", timeout, b.rc.snapshot())
	}
	wall := time.Since(begin)
	cpu1, err := cpuTime(p.pid())
	if err != nil {
		return throughputResult{}, err
	}
	// Stop the empty polls that would follow, so that they do not load the database under the next run.
	if _, err := db.db.ExecContext(ctx, "DELETE FROM apisubscription"); err != nil {
		return throughputResult{}, fmt.Errorf("remove subscriptions: %w", err)
	}
	got := b.rc.snapshot()
	res := throughputResult{n: data.n, wall: wall, cpu: cpu1 - cpu0, perTable: map[subscriptions.WatchTable]time.Duration{}}
	for _, t := range b.cfg.tables {
		a := got["WatchTable: "+string(t)]
		if a.rows != data.n {
			log := p.stderr.String()
			err := fmt.Errorf("%s: received %d elements, want %d; odsim's log:\n%s", t, a.rows, data.n, log)
			if strings.Contains(log, "not delivered") {
				return throughputResult{}, retryable{err}
			}
			return throughputResult{}, err
		}
		res.rows += a.rows
		res.bytes += a.bytes
		res.posts += a.posts
		res.perTable[t] = a.last.Sub(begin)
	}
	return res, nil
}

// warm reads every watched table once so that neither the floor nor odsim pays for a cold cache.
func warm(ctx context.Context, db *sql.DB) error {
	for _, q := range []string{
		"SELECT COUNT(*), MAX(Note), MAX(DateTStamp) FROM appointment",
		"SELECT COUNT(*), MAX(FamFinUrgNote), MAX(DateTStamp) FROM patient",
		"SELECT COUNT(*), MAX(FieldValue), MAX(SecDateTEdit) FROM patfield",
		"SELECT COUNT(*), MAX(Note), MAX(DateTStamp) FROM schedule",
		"SELECT COUNT(*), MAX(OperatoryNum) FROM scheduleop",
	} {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("warm caches: %w", err)
		}
		for rows.Next() {
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("warm caches: %w", err)
		}
	}
	return nil
}

func formatSize(n int) string {
	switch {
	case n >= 1000000 && n%1000000 == 0:
		return fmt.Sprintf("%dM", n/1000000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.Itoa(n)
}
