package scenario

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress is told about a run as it goes.
type Progress interface {
	// Begin is called once the timeline is known (rep.Total step runs from rep.Start).
	Begin(rep *Report)
	// Applied is called after each step run that was applied.
	Applied(rep *Report, r StepResult)
	// End is called when the run ends: err is nil when every step run was applied.
	End(rep *Report, err error)
}

// Lines reports progress as one plain line per applied step run, for logs, CI and pipes.
type Lines struct{ W io.Writer }

// Begin prints what is about to run.
func (l Lines) Begin(rep *Report) {
	fmt.Fprintf(l.W, "%s: %d step runs, scenario clock from %s\n", rep.Scenario.Name, rep.Total, rep.Start.Format("Mon 2006-01-02 15:04:05"))
}

// Applied prints one step run.
func (l Lines) Applied(rep *Report, r StepResult) {
	w := len(strconv.Itoa(rep.Total))
	fmt.Fprintf(l.W, "[%*d/%d] %s  %s: %s\n", w, len(rep.Applied), rep.Total, r.At.Format(time.TimeOnly), describeRun(r), r.Detail)
}

// End prints the outcome.
func (l Lines) End(rep *Report, err error) {
	printEnd(l.W, rep, err, false)
}

func describeRun(r StepResult) string {
	if r.Step.Every != "" {
		return fmt.Sprintf("%s run %d", r.Step.Describe(), r.Run)
	}
	return r.Step.Describe()
}

// printEnd prints the outcome of a run; with listApplied, also each step run applied (a progress bar
// shows none of them).
func printEnd(w io.Writer, rep *Report, err error, listApplied bool) {
	if err == nil {
		fmt.Fprintf(w, "%s: all %d step runs applied\n", rep.Scenario.Name, rep.Total)
		return
	}
	fmt.Fprintf(w, "%s: FAILED after %d of %d step runs applied\n  %v\n", rep.Scenario.Name, len(rep.Applied), rep.Total, err)
	if !listApplied || len(rep.Applied) == 0 {
		return
	}
	fmt.Fprintf(w, "applied before the failure:\n")
	for _, r := range rep.Applied {
		fmt.Fprintf(w, "  %s  %s: %s\n", r.At.Format(time.TimeOnly), describeRun(r), r.Detail)
	}
}

// Bar reports progress as a progress bar, for a terminal. When the run fails it lists the step runs
// that were applied.
type Bar struct {
	W   io.Writer
	bar *progressbar.ProgressBar
}

// NewBar returns a progress bar writing to w.
func NewBar(w io.Writer) *Bar { return &Bar{W: w} }

// Begin draws an empty bar.
func (b *Bar) Begin(rep *Report) {
	b.bar = progressbar.NewOptions(rep.Total,
		progressbar.OptionSetWriter(b.W),
		progressbar.OptionSetDescription(rep.Scenario.Name),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionThrottle(50*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
	)
}

// Applied advances the bar and shows the step just applied.
func (b *Bar) Applied(rep *Report, r StepResult) {
	b.bar.Describe(fmt.Sprintf("%s %s %s", rep.Scenario.Name, r.At.Format(time.TimeOnly), describeRun(r)))
	_ = b.bar.Add(1) // an error means the terminal went away; the run goes on
}

// End completes the bar and prints the outcome.
func (b *Bar) End(rep *Report, err error) {
	if err == nil {
		b.bar.Describe(rep.Scenario.Name)
		_ = b.bar.Finish()
	}
	fmt.Fprintln(b.W)
	printEnd(b.W, rep, err, true)
}
