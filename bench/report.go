package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/odsim/odsim/subscriptions"
)

// report collects the runs' results and prints them as the results file.
type report struct {
	header     []string
	throughput []throughputResult
	latency    *latencyResult
	idle       *idleResult
	deadend    *deadendResult
}

type throughputResult struct {
	n        int
	runs     int       // the best of this many runs
	ratios   []float64 // odsim ÷ floor of each run
	rows     int
	posts    int
	bytes    int64
	wall     time.Duration
	rss      int64
	cpu      time.Duration
	floor    floorResult
	perTable map[subscriptions.WatchTable]time.Duration // when the table's last element arrived
}

type latencyResult struct {
	changes, missing int
	p50, p90, p99    time.Duration
	max              time.Duration
	pollingSeconds   int
}

type idleResult struct {
	subs, polled   int
	over           time.Duration
	cpu            time.Duration
	posts          int
	pollingSeconds int
}

type deadendResult struct {
	subs             int
	rate             float64
	over             time.Duration
	changes          int
	peakRSS, maxRSS  int64 // VmHWM; the highest VmRSS of the 1 s samples
	cpu              time.Duration
	disk             int64 // --record and --record.1 at the end
	lines, rotations int
}

// machine records where and on what the bench ran.
func (r *report) machine(ctx context.Context, server *sql.DB, cfg config) error {
	var version string
	if err := server.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return fmt.Errorf("read server version: %w", err)
	}
	cpu := "unknown CPU"
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(info)) {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := ""
	if info, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(info)) {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kb int64
				fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
				mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	commit, err := execOutput("git", "rev-parse", "--short", "HEAD")
	if err != nil {
		commit = "unknown"
	} else if st, _ := execOutput("git", "status", "--porcelain", "--untracked-files=no"); st != "" {
		commit += " with uncommitted changes"
	}
	r.header = []string{
		"odsim bench, " + time.Now().UTC().Format("2006-01-02 15:04 MST"),
		fmt.Sprintf("machine: %s, %d cores%s, Linux %s", cpu, runtime.NumCPU(), mem, strings.TrimSpace(string(kernel))),
		fmt.Sprintf("database: %s on the same machine; odsim commit %s; %s", version, commit, runtime.Version()),
	}
	serve := "odsim serve --dsn ... --workstation BENCH --log-level warn"
	if len(cfg.serveFlags) > 0 {
		serve += " " + strings.Join(cfg.serveFlags, " ")
	}
	r.header = append(r.header, "run as: "+serve)
	if cfg.label != "" {
		r.header = append(r.header, "note: "+cfg.label)
	}
	return nil
}

func execOutput(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).Output()
	return strings.TrimSpace(string(out)), err
}

func (r *report) String() string {
	var b strings.Builder
	for _, h := range r.header {
		b.WriteString(h + "\n")
	}
	if len(r.throughput) > 0 {
		b.WriteString("\nThroughput: N changed rows in each watched table, one subscription per table (PollingSeconds=3600,\n" +
			"due at once), each table's rows delivered in one window in pages of 1000, the tables at the same time.\n" +
			"odsim: from making the subscriptions due to the last element's arrival at the loopback receiver.\n" +
			"floor: the same SELECTs (same columns, joins, pages), read through go-sql-driver/mysql and discarded.\n" +
			"MB/s: JSON POSTed (odsim), column bytes read (floor). Peak RSS: odsim's VmHWM. CPU s: odsim's user+system.\n" +
			"With runs > 1 the floor and odsim ran alternately and the best of each is shown.\n\n")
		fmt.Fprintf(&b, "%-8s %-6s %10s %9s %10s %8s %10s %8s %8s %5s\n", "N/table", "", "rows", "wall s", "rows/s", "MB/s", "peak RSS", "CPU s", "÷ floor", "runs")
		for _, t := range r.throughput {
			fmt.Fprintf(&b, "%-8s %-6s %10d %9.2f %10.0f %8.1f %7.0f MB %8.2f %8.2f %5d\n", formatSize(t.n), "odsim", t.rows, t.wall.Seconds(),
				float64(t.rows)/t.wall.Seconds(), float64(t.bytes)/1e6/t.wall.Seconds(), float64(t.rss)/(1<<20), t.cpu.Seconds(), t.wall.Seconds()/t.floor.wall.Seconds(), t.runs)
			fmt.Fprintf(&b, "%-8s %-6s %10d %9.2f %10.0f %8.1f %10s %8s %8s\n", "", "floor", t.floor.rows, t.floor.wall.Seconds(),
				float64(t.floor.rows)/t.floor.wall.Seconds(), float64(t.floor.bytes)/1e6/t.floor.wall.Seconds(), "", "", "")
		}
		b.WriteString("\nPer table (seconds until the table's last page, odsim / floor):\n")
		for _, t := range r.throughput {
			fmt.Fprintf(&b, "%-8s", formatSize(t.n))
			for _, wt := range sortedTables(t.perTable) {
				fmt.Fprintf(&b, "  %s %.2f / %.2f", wt, t.perTable[wt].Seconds(), t.floor.perTable[wt].Seconds())
			}
			b.WriteString("\n")
			if len(t.ratios) > 1 {
				b.WriteString("          odsim ÷ floor of each run:")
				for _, r := range t.ratios {
					fmt.Fprintf(&b, " %.2f", r)
				}
				b.WriteString("\n")
			}
		}
	}
	if l := r.latency; l != nil {
		fmt.Fprintf(&b, "\nLatency: %d single-row appointment changes, one at a time, PollingSeconds=%d; from the UPDATE\n"+
			"being sent to the element's arrival at the receiver.\n", l.changes, l.pollingSeconds)
		fmt.Fprintf(&b, "  p50 %.3fs  p90 %.3fs  p99 %.3fs  max %.3fs  missing %d\n", l.p50.Seconds(), l.p90.Seconds(), l.p99.Seconds(), l.max.Seconds(), l.missing)
	}
	if i := r.idle; i != nil {
		fmt.Fprintf(&b, "\nIdle: %d subscriptions (PollingSeconds=%d, every WatchTable, no changes) for %s.\n", i.subs, i.pollingSeconds, i.over.Round(time.Second))
		fmt.Fprintf(&b, "  odsim CPU %.2fs = %.1f%% of one core; %d of %d subscriptions polled in the last 2 s; %d POSTs\n",
			i.cpu.Seconds(), 100*i.cpu.Seconds()/i.over.Seconds(), i.polled, i.subs, i.posts)
	}
	if d := r.deadend; d != nil {
		secs := d.over.Seconds()
		fmt.Fprintf(&b, "\nDead endpoints: %d subscriptions (Appointment, PollingSeconds=1) to a port that refuses connections,\n"+
			"%d changes written at %.3g/s, odsim run with --record, for %s. Log lines: odsim's, at warn (one per failed attempt).\n",
			d.subs, d.changes, d.rate, d.over.Round(time.Second))
		fmt.Fprintf(&b, "  peak RSS %.1f MiB (1 s samples: max %.1f MiB); CPU %.1f%% of one core; %.0f log lines/s, %.2f ms of CPU each\n",
			float64(d.peakRSS)/(1<<20), float64(d.maxRSS)/(1<<20), 100*d.cpu.Seconds()/secs, float64(d.lines)/secs,
			1000*d.cpu.Seconds()/max(float64(d.lines), 1))
		fmt.Fprintf(&b, "  --record on disk at the end %.1f MiB (FILE and FILE.1), %d rotations\n", float64(d.disk)/(1<<20), d.rotations)
	}
	return b.String()
}

func sortedTables(m map[subscriptions.WatchTable]time.Duration) []subscriptions.WatchTable {
	var out []subscriptions.WatchTable
	for _, wt := range subscriptions.WatchTables {
		if _, ok := m[wt]; ok {
			out = append(out, wt)
		}
	}
	return out
}
