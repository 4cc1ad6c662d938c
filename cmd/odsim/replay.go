package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/odsim/odsim/control"
	"github.com/odsim/odsim/resend"
	"github.com/odsim/odsim/scenario"
)

// replayConfig is everything `odsim replay` is configured with.
type replayConfig struct {
	dsn         string
	speed       string
	start       string
	odsimURL    string
	token       secretFlags // --control-token of the running odsim
	workstation string
	list        bool
	print       bool

	deliveries string
	to         string
	onCorrupt  string
	timeout    time.Duration
}

func newReplayCmd(e env) *cobra.Command {
	var cfg replayConfig
	cmd := &cobra.Command{
		Use:   "replay SCENARIO | --deliveries FILE.jsonl --to URL",
		Short: "Replay a scenario against the database, or re-send recorded deliveries",
		Long: `replay runs a scenario: Open Dental front-desk operations on a timeline (patients added,
appointments booked, confirmed, seated, completed, broken, deleted, patients merged, ...),
written to the database odsim polls, so that the events come out of the real polling path.

SCENARIO is a built-in scenario (clinic-day, patient-merge, bulk-import, cancellations,
new-patient; --list shows them, --print prints one to copy) or the path of a scenario file
(format: docs/scenarios.md). The built-ins need odsim's demo practice, which odsim serve loads
into its embedded database.

replay writes into the database of the running odsim at --url (ODSIM_URL), so that the events
come from that odsim: its embedded database directly, or, when it polls a MySQL/MariaDB database of
its own --dsn, the same database given again with --dsn (odsim never sends database credentials
over HTTP). A --dsn that is not the database the odsim at --url polls is refused, naming both.
With no odsim running, --dsn alone writes into that database (for an odsim started later, or Open
Dental's own). select-patient steps fire PatientSelected through the odsim at --url.

--speed 1 runs in real time, --speed 10 ten times faster, --speed max without waiting. The exit status is 0 when
every step was applied; otherwise replay names the file, line and step that failed and lists the
steps applied before it (each step is one transaction: a failed step wrote nothing).

With --deliveries, replay re-sends deliveries recorded by odsim serve --record or odsim listen
--jsonl to --to, byte for byte with their headers, in order, with the recorded spacing scaled by
--speed (max: as fast as possible), and reports each response. No database is needed. A line
that cannot be read (truncated, corrupt) is reported with its number and skipped or, with
--on-corrupt stop, ends the run. The exit status is 0 when every line was read and every
request was answered 200, 1 otherwise.

Ctrl-C stops a run between steps (or requests) and prints one line saying what was done; the
exit status is then 130.`,
		Example: `  odsim replay clinic-day --speed max
  odsim replay my-scenario.yaml --speed 10
  odsim replay bulk-import --speed max --dsn 'root:secret@tcp(127.0.0.1:3306)/opendental'
  ODSIM_URL=http://127.0.0.1:30224 odsim replay new-patient --speed max   # another odsim's database
  odsim replay --print new-patient > new-patient.yaml
  odsim replay --deliveries deliveries.jsonl --to http://127.0.0.1:8080/ --speed max`,
		Args: optionalArgs(arg{"SCENARIO", "a built-in scenario or a scenario file"}),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case cfg.list:
				for _, b := range scenario.Builtins() {
					fmt.Fprintf(e.stdout, "%-14s %s\n", b.Name, b.Summary)
				}
				return nil
			case cfg.print:
				if len(args) != 1 {
					return errors.New("--print needs the name of a built-in scenario")
				}
				src, err := scenario.BuiltinSource(args[0])
				if err != nil {
					return err
				}
				_, err = e.stdout.Write(src)
				return err
			case cfg.deliveries != "":
				if len(args) > 0 {
					return errors.New("give a SCENARIO or --deliveries, not both")
				}
				return replayDeliveries(cmd.Context(), e, cfg)
			case len(args) == 0:
				return errors.New("give a SCENARIO (a built-in name or a file) or --deliveries FILE.jsonl --to URL; --list shows the built-ins")
			}
			return replayScenario(cmd.Context(), e, cfg, cmd.Flags(), args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.dsn, "dsn", "", "the Open Dental `database` to write to, as user:password@tcp(host:port)/opendental; it must be the one the odsim at --url polls (default: that odsim's embedded database)")
	f.StringVar(&cfg.speed, "speed", "1", "how fast to run the timeline: 1 real time, 10 ten times faster, max without waiting")
	f.StringVar(&cfg.start, "start", "", "the scenario clock at the start, as `yyyy-mm-dd hh:mm`, or a date alone for that day at the file's start: time; default now, or today at the file's start: time")
	f.StringVar(&cfg.odsimURL, "url", control.DefaultAddr, "the running odsim whose database to write into, and that fires PatientSelected for select-patient steps ('' for none: write into --dsn alone)")
	registerSecret(f, &cfg.token, "control-token", false, "the `token` of odsim serve --control-token, for select-patient steps")
	f.StringVar(&cfg.workstation, "workstation", "", "the workstation select-patient steps use when they name none")
	f.BoolVar(&cfg.list, "list", false, "list the built-in scenarios")
	f.BoolVar(&cfg.print, "print", false, "print the YAML of the built-in SCENARIO")
	f.StringVar(&cfg.deliveries, "deliveries", "", "re-send the deliveries recorded in this JSONL `file` instead of running a scenario")
	f.StringVar(&cfg.to, "to", "", "with --deliveries: the consumer's `URL` (with no path, each request keeps its recorded path)")
	f.StringVar(&cfg.onCorrupt, "on-corrupt", "skip", "with --deliveries: what to do at a line that cannot be read: skip or stop")
	f.DurationVar(&cfg.timeout, "timeout", resend.DefaultTimeout, "with --deliveries: how long each response may take")
	settings(f, "dsn", "url")
	return cmd
}

// progressFor is a progress bar on a terminal (bar true) and plain lines elsewhere (logs, CI, pipes).
func progressFor(w io.Writer) (p scenario.Progress, bar bool) {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return scenario.NewBar(w), true
	}
	return scenario.Lines{W: w}, false
}

func replayScenario(ctx context.Context, e env, cfg replayConfig, f *pflag.FlagSet, name string) error {
	speed, err := scenario.ParseSpeed(cfg.speed)
	if err != nil {
		return fmt.Errorf("--%w", err)
	}
	progress, bar := progressFor(e.stdout)
	opts := scenario.Options{Speed: speed, Progress: interruptible{progress, ctx, bar, e.stdout}}
	sc, err := scenario.Load(name)
	if err != nil {
		return err
	}
	if cfg.start != "" {
		t, dateOnly, err := parseStart(cfg.start)
		if err != nil {
			return err
		}
		if dateOnly { // that day, at the scenario's start: time of day (or the current one)
			now := time.Now()
			t = sc.StartTime(time.Date(t.Year(), t.Month(), t.Day(), now.Hour(), now.Minute(), now.Second(), 0, time.Local))
		}
		opts.Start = t
	}
	tg, err := openTarget(ctx, e, f, cfg.odsimURL, &cfg.token, cfg.dsn)
	if err != nil {
		return err
	}
	defer tg.db.Close()
	opts.Selector = scenario.CheckedSelector{
		Select: func(ctx context.Context, ws string, patNum int64) error {
			if ws == "" {
				ws = cfg.workstation
			}
			wait := true
			return tg.selectPatient(ctx, control.SelectRequest{Workstation: ws, PatNum: &patNum, Wait: &wait})
		},
		Check: func(ctx context.Context, ws string) error {
			if ws == "" {
				ws = cfg.workstation
			}
			return tg.checkWorkstation(ctx, ws)
		},
	}
	rep, err := scenario.Run(ctx, tg.db.SQL(), sc, opts)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(e.stderr, "odsim replay: interrupted after %d of %d step runs of %s were applied (each step is one transaction: the one under way was completed or rolled back)\n",
			len(rep.Applied), rep.Total, sc.Name)
		return interrupted(ctx)
	case err != nil:
		// The progress report has printed the failure and the steps applied before it.
		return exitError{1}
	}
	return nil
}

// interruptible passes a run's progress on, except its end when the run was interrupted: the command
// then prints one line itself instead of a failure naming "context canceled".
type interruptible struct {
	scenario.Progress
	ctx context.Context
	bar bool      // the progress is a bar, whose line must be ended
	w   io.Writer // where the progress goes
}

func (p interruptible) End(rep *scenario.Report, err error) {
	if p.ctx.Err() == nil {
		p.Progress.End(rep, err)
		return
	}
	if p.bar {
		fmt.Fprintln(p.w)
	}
}

// parseStart reads --start: a date and time, or a date alone.
func parseStart(s string) (t time.Time, dateOnly bool, err error) {
	for _, layout := range []string{time.DateTime, "2006-01-02 15:04", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), time.Local); err == nil {
			return t, layout == time.DateOnly, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("--start %q: use yyyy-mm-dd hh:mm, or yyyy-mm-dd for that day at the scenario's start: time", s)
}

func replayDeliveries(ctx context.Context, e env, cfg replayConfig) error {
	if cfg.to == "" {
		return errors.New("--deliveries needs --to, the consumer's URL")
	}
	speed, err := scenario.ParseSpeed(cfg.speed)
	if err != nil {
		return fmt.Errorf("--%w", err)
	}
	var skip bool
	switch cfg.onCorrupt {
	case "skip":
		skip = true
	case "stop":
	default:
		return fmt.Errorf("--on-corrupt %q: use skip or stop", cfg.onCorrupt)
	}
	f, err := os.Open(cfg.deliveries)
	if err != nil {
		return fmt.Errorf("--deliveries: %w", err)
	}
	defer f.Close()
	var lastLine int
	var abandoned bool
	sum, err := resend.Run(ctx, f, resend.Config{
		To: cfg.to, Speed: speed, SkipCorrupt: skip, Timeout: cfg.timeout,
		Report: func(r resend.Result) {
			lastLine = r.Line
			if r.Err != nil && ctx.Err() != nil {
				abandoned = true // cut short by Ctrl-C: not an answer of the consumer
				return
			}
			w := e.stdout
			if r.Corrupt != nil {
				w = e.stderr
			}
			fmt.Fprintln(w, r.Describe())
		},
	})
	if abandoned {
		sum.Sent, sum.Failed = sum.Sent-1, sum.Failed-1
	}
	summary := fmt.Sprintf("%d sent: %d answered 200, %d not; %d unreadable lines", sum.Sent, sum.OK, sum.Failed, sum.Corrupt)
	if ctx.Err() != nil {
		how := "before line " + strconv.Itoa(lastLine+1)
		if abandoned {
			how = fmt.Sprintf("at line %d, whose request was abandoned", lastLine)
		}
		fmt.Fprintf(e.stderr, "odsim replay: interrupted %s: %s\n", how, summary)
		return interrupted(ctx)
	}
	fmt.Fprintln(e.stdout, summary)
	var cle *resend.CorruptLineError
	switch {
	case errors.As(err, &cle):
		fmt.Fprintf(e.stderr, "odsim: stopped at %v (--on-corrupt skip goes on past it)\n", err)
		return exitError{1}
	case err != nil:
		return err
	case sum.Corrupt > 0:
		fmt.Fprintf(e.stderr, "odsim: %s could not be read (reported above); the other lines were sent\n", plural(sum.Corrupt, "line"))
		return exitError{1}
	case sum.Failed > 0:
		return exitError{1}
	}
	return nil
}

// checkWorkstation tells whether the odsim of t plays workstation ws ("" when it plays only one), as its
// UI events would; with --url ” there is none, and selecting a patient fails when a step does.
func (t *target) checkWorkstation(ctx context.Context, ws string) error {
	if t.client == nil {
		return nil
	}
	list, err := t.client.Workstations(ctx)
	if err != nil {
		return remoteError(err)
	}
	var names []string
	for _, w := range list.Workstations {
		if strings.EqualFold(w.Name, ws) || (ws == "" && len(list.Workstations) == 1) {
			return nil
		}
		names = append(names, w.Name)
	}
	if ws == "" {
		return fmt.Errorf("select-patient steps name no workstation and odsim plays several (%s): give --workstation", strings.Join(names, ", "))
	}
	return fmt.Errorf("workstation %q is not one the odsim at --url plays (%s)", ws, strings.Join(names, ", "))
}
