package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// faultCase is one way of trying to make odsim lose a change.
type faultCase struct {
	name  string // id, for -cases and test names
	title string // the fault table's first column
	how   string // how the harness causes it
	// privateDB runs the case on a MariaDB server of its own (it restarts the server).
	privateDB bool
	// odsimFlags are extra flags of odsim serve.
	odsimFlags []string
	// timeZone, when set, gives the time_zone of every database session (odsim's, the writer's, the
	// checker's), as "+HH:MM".
	timeZone func() string
	// before runs once odsim and the subscriptions are up, before the writer starts.
	before func(ctx context.Context, r *caseRun) error
	// inject runs while the writer writes; it must leave the fault healed when it returns.
	inject func(ctx context.Context, r *caseRun) error
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

// faultCases are the cases in the order of the fault table.
var faultCases = []faultCase{
	{
		name:  "none",
		title: "no fault (baseline)",
		how:   "writer, odsim and receiver run undisturbed",
	},
	{
		name:  "receiver-down",
		title: "receiver down, then back",
		how:   "the receiver process is stopped for the fault time (30 s) while the writer writes, then started again",
		inject: func(ctx context.Context, r *caseRun) error {
			sleep(ctx, r.sc.writeFor/4)
			r.say("receiver down for %s", r.sc.faultFor)
			if err := r.recorder.stop(); err != nil {
				r.note("recorder stop: %v", err)
			}
			sleep(ctx, r.sc.faultFor)
			r.say("receiver back")
			return r.startRecorder(context.WithoutCancel(ctx), recorderMode{})
		},
	},
	{
		name:  "receiver-500",
		title: "receiver answers 500 to 50% of POSTs",
		how:   "the receiver answers 500 to half the POSTs, chosen at random, for the whole run",
		before: func(ctx context.Context, r *caseRun) error {
			return r.setMode(recorderMode{FailPercent: 50})
		},
	},
	{
		name:       "receiver-slow",
		title:      "receiver slower than the delivery timeout",
		how:        "odsim runs with --timeout 1s; for the fault time (30 s) the receiver answers after 1.5 s",
		odsimFlags: []string{"--timeout", "1s"},
		inject: func(ctx context.Context, r *caseRun) error {
			sleep(ctx, r.sc.writeFor/4)
			r.say("receiver slow for %s", r.sc.faultFor)
			if err := r.setMode(recorderMode{Delay: 1500 * time.Millisecond}); err != nil {
				return err
			}
			sleep(ctx, r.sc.faultFor)
			return r.setMode(recorderMode{})
		},
	},
	{
		name:  "receiver-hangup",
		title: "receiver closes the connection mid-response",
		how:   "for 30% of POSTs the receiver sends half a 200 response's headers, then closes the connection",
		before: func(ctx context.Context, r *caseRun) error {
			return r.setMode(recorderMode{HangupPercent: 30})
		},
	},
	{
		name:  "odsim-sigkill",
		title: "odsim killed with SIGKILL and restarted",
		how: "the receiver SIGKILLs odsim 10 times, cycling through: right after acknowledging a full page (more pages follow), " +
			"right after acknowledging a window's last page (before the cursor write), and while a POST waits for its answer; " +
			"odsim is restarted after 0–1.5 s",
		inject: func(ctx context.Context, r *caseRun) error {
			if err := r.setMode(recorderMode{Kill: true}); err != nil {
				return err
			}
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
			// Restart odsim whenever it dies, until the kills are spent, or the writer is done and a
			// fault time more has passed.
			var late <-chan time.Time
			writerDone := r.writerDone
			for kills := 0; kills < r.sc.kills; {
				p := r.currentOdsim()
				select {
				case <-p.done:
				case <-writerDone:
					writerDone, late = nil, time.After(r.sc.faultFor)
					continue
				case <-late:
					r.note("only %d of %d kills happened", kills, r.sc.kills)
					return r.setMode(recorderMode{})
				case <-ctx.Done():
					return r.setMode(recorderMode{})
				}
				kills++
				sleep(ctx, time.Duration(rng.Int64N(int64(1500*time.Millisecond))))
				// A start can itself be cut short by the next kill; the loop then restarts it again.
				_ = r.startOdsim(context.WithoutCancel(ctx), r.dsn)
			}
			return r.setMode(recorderMode{})
		},
	},
	{
		name:      "mariadb-restart",
		title:     "MariaDB restarted under load",
		how:       "a private MariaDB server is stopped (SIGTERM) and started again 3 times while the writer writes, staying down a third of the fault time (10 s) each time",
		privateDB: true,
		inject: func(ctx context.Context, r *caseRun) error {
			n := r.sc.dbRestarts
			spacing := r.sc.writeFor / time.Duration(n+1)
			down := min(r.sc.faultFor/3, spacing/2) // a short run keeps the server up half the time
			for i := range n {
				sleep(ctx, spacing-down)
				if ctx.Err() != nil && i > 0 {
					break
				}
				r.say("MariaDB restart %d of %d, down %s", i+1, n, down)
				if err := r.db.restart(context.WithoutCancel(ctx), down); err != nil {
					return err
				}
			}
			return nil
		},
	},
	{
		name:  "db-down-at-start",
		title: "database unreachable at start-up",
		how: "odsim is stopped while the writer writes, started against a database that does not answer (it must exit " +
			"with a clear message), then started against the real one after the fault time (30 s)",
		inject: func(ctx context.Context, r *caseRun) error {
			sleep(ctx, r.sc.writeFor/4)
			r.say("odsim stopped; restarting it against an unreachable database")
			if code, _ := r.stopOdsim(); code != 0 {
				r.note("odsim exit code on SIGTERM: %d", code)
			}
			dead, err := freeAddr()
			if err != nil {
				return err
			}
			start := time.Now()
			cmd, err := r.odsimCommand(strings.Replace(r.dsn, "tcp("+dsnAddr(r.dsn)+")", "tcp("+dead+")", 1))
			if err != nil {
				return err
			}
			p, err := startProcess(cmd)
			if err != nil {
				return err
			}
			code := p.exitCode()
			msg := lastLine(r.path("odsim.log"))
			r.note("against an unreachable database odsim exited with code %d after %s: %q", code, time.Since(start).Round(100*time.Millisecond), msg)
			if code == 0 || !strings.Contains(msg, "cannot connect to database") {
				return fmt.Errorf("odsim against an unreachable database: exit %d, %q", code, msg)
			}
			sleep(ctx, r.sc.faultFor-time.Since(start))
			r.say("odsim started against the real database")
			return r.startOdsim(context.WithoutCancel(ctx), r.dsn)
		},
	},
	{
		name:  "clock-skew",
		title: "host clock 5 minutes ahead of the database's",
		how: "every database session runs with time_zone set to the host's UTC offset minus 5 minutes, so NOW() and " +
			"every TIMESTAMP read 5 minutes behind the host clock, as from a database server whose clock is behind",
		timeZone: func() string {
			_, off := time.Now().Zone()
			return formatOffset(time.Duration(off)*time.Second - 5*time.Minute)
		},
		before: func(ctx context.Context, r *caseRun) error {
			now, err := dbNow(ctx, r.dsn)
			if err != nil {
				return err
			}
			host := time.Now()
			_, off := host.Zone()
			skew := host.Add(time.Duration(off) * time.Second).UTC().Sub(now).Round(time.Second)
			r.note("host clock ahead of the database clock by %s", skew)
			if skew < 4*time.Minute || skew > 6*time.Minute {
				return fmt.Errorf("clock skew is %s, want about 5m", skew)
			}
			return nil
		},
	},
}

// formatOffset writes a UTC offset as MySQL's time_zone takes it: +01:00, -00:05.
func formatOffset(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	return fmt.Sprintf("%s%02d:%02d", sign, int(d.Hours()), int(d.Minutes())%60)
}

// dsnAddr is the host:port of a go-sql-driver DSN.
func dsnAddr(dsn string) string {
	_, rest, _ := strings.Cut(dsn, "tcp(")
	addr, _, _ := strings.Cut(rest, ")")
	return addr
}

func lookupCase(name string) (faultCase, bool) {
	for _, c := range faultCases {
		if c.name == name {
			return c, true
		}
	}
	return faultCase{}, false
}
