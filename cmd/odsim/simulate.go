package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/scenario"
)

// simulateConfig is everything `odsim simulate` is configured with.
type simulateConfig struct {
	dsn            string
	rate           float64
	duration       time.Duration
	seed           uint64
	selectPatients bool
	odsimURL       string
	token          secretFlags // --control-token of the running odsim
	quiet          bool
}

func newSimulateCmd(e env) *cobra.Command {
	var cfg simulateConfig
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Run a synthetic front desk: realistic changes at a chosen rate, for load and soak tests",
		Long: `simulate plays a busy front desk against the database odsim polls, for load and soak testing of
webhook consumers: at --rate changes per minute it adds and edits patients (fake but realistic
names, phones and addresses), sets patient fields, books appointments and takes them through
the visit (confirmed, arrived, seated, dismissed, completed), and breaks, reschedules,
unschedules and deletes some. Each change is one Open Dental operation, so the events come out of
the real polling path. --seed repeats a run's choices. It runs for --duration, or until Ctrl-C,
which prints one line with what was done and exits with status 130.

It writes into the database of the running odsim at --url (ODSIM_URL), as odsim replay does: its
embedded database (with the demo practice) directly, or the MySQL/MariaDB database it polls given
again with --dsn, which is refused when it is not that database. With no odsim running, --dsn alone
writes into that database. The database needs patients and operatories to start from.
--select-patients also selects patients on the odsim at --url (PatientSelected).`,
		Example: `  odsim simulate --rate 60
  odsim simulate --rate 600 --duration 1h --seed 42 --quiet
  odsim simulate --rate 30 --select-patients --dsn 'root@tcp(127.0.0.1:3306)/opendental'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return simulate(cmd.Context(), e, cfg, cmd.Flags())
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.dsn, "dsn", "", "the Open Dental `database` to write to, as user:password@tcp(host:port)/opendental; it must be the one the odsim at --url polls (default: that odsim's embedded database)")
	f.Float64Var(&cfg.rate, "rate", 30, "changes per minute")
	f.DurationVar(&cfg.duration, "duration", 0, "how long to run (default: until Ctrl-C)")
	f.Uint64Var(&cfg.seed, "seed", 0, "seed of the random choices and fake values, to repeat a run (default: random)")
	f.BoolVar(&cfg.selectPatients, "select-patients", false, "also select patients on the running odsim at --url (PatientSelected UI events)")
	f.StringVar(&cfg.odsimURL, "url", control.DefaultAddr, "the running odsim whose database to write into, and that --select-patients selects on ('' for none: write into --dsn alone)")
	registerSecret(f, &cfg.token, "control-token", false, "the `token` of odsim serve --control-token, for --select-patients")
	f.BoolVar(&cfg.quiet, "quiet", false, "print only the summary, not each change")
	settings(f, "dsn", "url")
	return cmd
}

func simulate(ctx context.Context, e env, cfg simulateConfig, f *pflag.FlagSet) error {
	if cfg.duration < 0 {
		return fmt.Errorf("--duration must not be negative, got %s", cfg.duration)
	}
	tg, err := openTarget(ctx, e, f, cfg.odsimURL, &cfg.token, cfg.dsn)
	if err != nil {
		return err
	}
	defer tg.db.Close()
	db := tg.db
	sc := scenario.SimConfig{Rate: cfg.rate, Duration: cfg.duration, Seed: cfg.seed}
	if cfg.selectPatients {
		sc.Selector = scenario.SelectorFunc(func(ctx context.Context, ws string, patNum int64) error {
			wait := false
			return tg.selectPatient(ctx, control.SelectRequest{Workstation: ws, PatNum: &patNum, Wait: &wait})
		})
	}
	if !cfg.quiet {
		sc.OnChange = func(c scenario.Change) {
			if c.Refused != nil {
				fmt.Fprintf(e.stdout, "%s  %-22s %s: refused, skipped: %v\n", c.At.Format(time.TimeOnly), c.Kind, c.Detail, c.Refused)
				return
			}
			fmt.Fprintf(e.stdout, "%s  %-22s %s\n", c.At.Format(time.TimeOnly), c.Kind, c.Detail)
		}
	}
	how := "until Ctrl-C"
	if cfg.duration > 0 {
		how = "for " + cfg.duration.String()
	}
	fmt.Fprintf(e.stderr, "simulating a front desk at %g changes a minute %s\n", cfg.rate, how)
	began := time.Now()
	rep, err := scenario.Simulate(ctx, db.SQL(), sc)
	kinds := make([]string, 0, len(rep.ByKind))
	for k, n := range rep.ByKind {
		kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(kinds)
	summary := fmt.Sprintf("%d changes (%s); %d refused and skipped", rep.Changes, strings.Join(kinds, ", "), rep.Refused)
	if ctx.Err() != nil {
		fmt.Fprintf(e.stderr, "odsim simulate: interrupted after %s: %s\n", time.Since(began).Round(time.Second), summary)
		return interrupted(ctx)
	}
	fmt.Fprintln(e.stdout, summary)
	return err
}
