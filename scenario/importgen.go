package scenario

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/odsim/odsim/store/frontdesk"
)

// MaxImport bounds import-appointments' count.
const MaxImport = 100_000

// importAction is import-appointments: count appointments written at once, as a conversion from other
// practice software does, spread over the practice's patients and operatories on the business days from
// start. The same seed gives the same rows.
type importAction struct {
	count int
	start dateExpr
	days  int
	seed  uint64
}

// Procedures imported appointments carry, by kind of chair.
var (
	importGeneral = []string{"#3-MOD-C3(P)", "#14-O-C1(P)", "#19-PFMHN", "#30-CrnSeat", "LimEx, PA", "Consult", "#8-MF-C2A"}
	importHygiene = []string{"PerEx, Pro", "PerEx, Pro, 4BW", "PerEx, PerioMaint, 4BW", "PerEx, ProChild, Fl", "SRP UR, SRP LR"}
)

func (a importAction) run(ctx context.Context, r *runner, e *env) (outcome, error) {
	pats, err := r.desk.Patients(ctx)
	if err != nil {
		return outcome{}, err
	}
	ops, err := r.desk.Operatories(ctx)
	if err != nil {
		return outcome{}, err
	}
	if len(pats) == 0 || len(ops) == 0 {
		return outcome{}, fmt.Errorf("import-appointments needs active patients and operatories (load the demo practice)")
	}
	v, _ := a.start.eval(e)
	first, _ := time.ParseInLocation(time.DateOnly, v.(string), e.start.Location())
	var days []time.Time
	for d := first; len(days) < a.days; d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			days = append(days, d)
		}
	}
	byClinic := map[int64][]int64{}
	for _, p := range pats {
		byClinic[p.ClinicNum] = append(byClinic[p.ClinicNum], p.PatNum)
	}
	rng := rand.New(rand.NewPCG(a.seed, 0x0d5a))
	rows := make([]frontdesk.Set, a.count)
	const slots = 18 // half hours from 8:00 to 17:00
	for i := range rows {
		day := days[i%len(days)]
		op := ops[(i/len(days))%len(ops)]
		slot := (i / (len(days) * len(ops))) % slots
		candidates := byClinic[op.ClinicNum]
		if len(candidates) == 0 {
			candidates = byClinic[pats[0].ClinicNum]
		}
		procs, minutes := importGeneral, 30*(1+rng.IntN(2))
		if op.IsHygiene {
			procs, minutes = importHygiene, 60
		}
		rows[i] = frontdesk.Set{
			{Column: "PatNum", Value: candidates[rng.IntN(len(candidates))]},
			{Column: "Op", Value: op.OperatoryNum},
			{Column: "AptDateTime", Value: day.Add(8*time.Hour + time.Duration(slot)*30*time.Minute).Format(time.DateTime)},
			{Column: "Pattern", Value: "/" + strings.Repeat("X", minutes/5-2) + "/"},
			{Column: "ProcDescript", Value: procs[rng.IntN(len(procs))]},
			{Column: "Note", Value: "Imported from previous practice software"},
		}
	}
	lo, hi, err := r.desk.ImportAppointments(ctx, rows)
	if err != nil {
		return outcome{}, err
	}
	return outcome{detail: fmt.Sprintf("%d appointments, AptNum %d-%d", a.count, lo, hi)}, nil
}

func parseImport(ps *params) (action, error) {
	a := importAction{days: 5, seed: 1}
	n := ps.take("count")
	if n == nil {
		return nil, errAt(ps.node, "import-appointments needs count: how many appointments")
	}
	c, err := strconv.Atoi(n.Value)
	if err != nil || c < 1 || c > MaxImport {
		return nil, errAt(n, "count: %q is not a number from 1 to %d", n.Value, MaxImport)
	}
	a.count = c
	a.start = dateExpr{}
	if n := ps.take("start"); n != nil {
		d, err := parseDate(n.Value)
		if err != nil {
			return nil, errAt(n, "start: %v", err)
		}
		a.start = d
	}
	if n := ps.take("days"); n != nil {
		d, err := strconv.Atoi(n.Value)
		if err != nil || d < 1 || d > 366 {
			return nil, errAt(n, "days: %q is not a number of business days from 1 to 366", n.Value)
		}
		a.days = d
	}
	if n := ps.take("seed"); n != nil {
		s, err := strconv.ParseUint(n.Value, 10, 64)
		if err != nil {
			return nil, errAt(n, "seed: %q is not a whole number", n.Value)
		}
		a.seed = s
	}
	return a, ps.finish("count", "start", "days", "seed")
}
