package scenario

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/odsim/odsim/store/frontdesk"
)

// SimConfig configures a synthetic front desk.
type SimConfig struct {
	// Rate is how many changes per minute to make.
	Rate float64
	// Duration ends the simulation; 0 runs until ctx ends.
	Duration time.Duration
	// Seed makes the sequence of choices and fake values repeatable (against the same database); 0
	// picks a random one.
	Seed uint64
	// Clock paces the changes; RealClock when nil.
	Clock Clock
	// Selector, when set, lets the front desk select patients (PatientSelected UI events).
	Selector PatientSelector
	// OnChange is told about every change made or refused.
	OnChange func(Change)
}

// Change is one change the synthetic front desk made, or tried to make.
type Change struct {
	At     time.Time
	Kind   string // the scenario operation it corresponds to: add-patient, book-appointment, ...
	Detail string
	// Refused is set when Open Dental's rules refused the change (nothing was written); the
	// simulation goes on.
	Refused error
}

// SimReport counts what a simulation did.
type SimReport struct {
	Changes int            // changes written
	Refused int            // changes refused and skipped
	ByKind  map[string]int // changes written, by kind
}

// simAppt is an appointment the simulation booked, and how far its visit has gone.
type simAppt struct {
	num   int64
	stage int // 0 booked, 1 confirmed, 2 arrived, 3 seated, 4 dismissed; removed when completed
}

// maxTracked bounds the appointments the simulation remembers.
const maxTracked = 500

type simulator struct {
	cfg   SimConfig
	desk  *frontdesk.Desk
	fake  *gofakeit.Faker
	pats  []int64
	ops   []frontdesk.OperatoryInfo
	defs  []frontdesk.PatFieldDef
	appts []*simAppt
	now   time.Time
}

// Simulate runs a synthetic front desk on db: at cfg.Rate changes per minute it adds and edits
// patients (realistic fake names, phones, addresses), sets patient fields, books appointments and takes
// them through the day (confirmed, arrived, seated, dismissed, completed), and breaks, reschedules,
// unschedules and deletes some, each change one front-desk operation. It stops when cfg.Duration has
// passed or ctx ends (returning the report and no error), and at a database failure (returning it).
// It needs operatories and patients to start from, such as the demo practice.
func Simulate(ctx context.Context, db *sql.DB, cfg SimConfig) (SimReport, error) {
	rep := SimReport{ByKind: map[string]int{}}
	if cfg.Rate <= 0 || cfg.Rate > 60000 {
		return rep, fmt.Errorf("rate %v: give changes per minute, more than 0 and at most 60000", cfg.Rate)
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	s := &simulator{cfg: cfg, desk: frontdesk.New(db), fake: gofakeit.New(cfg.Seed)}
	pats, err := s.desk.Patients(ctx)
	if err != nil {
		return rep, err
	}
	for _, p := range pats {
		s.pats = append(s.pats, p.PatNum)
	}
	if s.ops, err = s.desk.Operatories(ctx); err != nil {
		return rep, err
	}
	if len(s.ops) == 0 {
		return rep, errors.New("simulate needs operatories to book into: load the demo practice (odsim seed demo) or use a practice database")
	}
	if s.defs, err = s.desk.PatFieldDefs(ctx); err != nil {
		return rep, err
	}

	interval := time.Duration(float64(time.Minute) / cfg.Rate)
	begin := cfg.Clock.Now()
	for i := 1; ; i++ {
		due := begin.Add(time.Duration(i-1) * interval)
		if cfg.Duration > 0 && due.Sub(begin) >= cfg.Duration {
			return rep, nil
		}
		if d := due.Sub(cfg.Clock.Now()); d > 0 {
			if err := cfg.Clock.Sleep(ctx, d); err != nil {
				return rep, nil // stopped: Ctrl-C or the caller's deadline
			}
		}
		if ctx.Err() != nil {
			return rep, nil
		}
		s.now = cfg.Clock.Now()
		kind, detail, err := s.step(ctx)
		switch {
		case frontdesk.IsRefused(err):
			rep.Refused++
			s.report(Change{At: s.now, Kind: kind, Detail: detail, Refused: err})
		case err != nil:
			if ctx.Err() != nil {
				return rep, nil
			}
			return rep, fmt.Errorf("simulate %s: %w", kind, err)
		default:
			rep.Changes++
			rep.ByKind[kind]++
			s.report(Change{At: s.now, Kind: kind, Detail: detail})
		}
	}
}

func (s *simulator) report(c Change) {
	if s.cfg.OnChange != nil {
		s.cfg.OnChange(c)
	}
}

// step makes one weighted random change.
func (s *simulator) step(ctx context.Context) (string, string, error) {
	type choice struct {
		kind   string
		weight int
		do     func(context.Context) (string, error)
	}
	choices := []choice{
		{"add-patient", 6, s.addPatient},
		{"update-patient", 8, s.updatePatient},
		{"set-patfield", 6, s.setPatField},
		{"book-appointment", 18, s.book},
	}
	if len(s.appts) > 0 {
		choices = append(choices,
			choice{"visit", 40, s.advance},
			choice{"break-appointment", 3, s.breakAppt},
			choice{"reschedule-appointment", 4, s.reschedule},
			choice{"unschedule-appointment", 2, s.unschedule},
			choice{"delete-appointment", 2, s.deleteAppt},
		)
	}
	if s.cfg.Selector != nil && len(s.pats) > 0 {
		choices = append(choices, choice{"select-patient", 5, s.selectPatient})
	}
	total := 0
	for _, c := range choices {
		total += c.weight
	}
	n := s.fake.IntRange(0, total-1)
	for _, c := range choices {
		if n < c.weight {
			detail, err := c.do(ctx)
			kind := c.kind
			if kind == "visit" {
				kind, detail, _ = strings.Cut(detail, " ")
			}
			return kind, detail, err
		}
		n -= c.weight
	}
	return "", "", errors.New("no change chosen")
}

func (s *simulator) patient() int64 { return s.pats[s.fake.IntRange(0, len(s.pats)-1)] }

// phone is a US number in Open Dental's usual (###)###-#### form.
func (s *simulator) phone() string {
	p := s.fake.Phone()
	return fmt.Sprintf("(%s)%s-%s", p[:3], p[3:6], p[6:10])
}

func (s *simulator) addPatient(ctx context.Context) (string, error) {
	first, last := s.fake.FirstName(), s.fake.LastName()
	birth := s.fake.DateRange(s.now.AddDate(-90, 0, 0), s.now.AddDate(-2, 0, 0))
	gender := "Female"
	if s.fake.Bool() {
		gender = "Male"
	}
	set := frontdesk.Set{
		{Column: "LName", Value: last}, {Column: "FName", Value: first}, {Column: "Gender", Value: gender},
		{Column: "Birthdate", Value: birth.Format(time.DateOnly)},
		{Column: "Address", Value: s.fake.Street()}, {Column: "City", Value: s.fake.City()},
		{Column: "State", Value: s.fake.StateAbr()}, {Column: "Zip", Value: s.fake.Zip()},
		{Column: "WirelessPhone", Value: s.phone()},
		{Column: "Email", Value: strings.ToLower(first + "." + last + "@example.com")},
		{Column: "ClinicNum", Value: s.ops[s.fake.IntRange(0, len(s.ops)-1)].ClinicNum},
	}
	n, err := s.desk.AddPatient(ctx, set)
	if err != nil {
		return first + " " + last, err
	}
	s.pats = append(s.pats, n)
	return fmt.Sprintf("PatNum %d %s %s", n, first, last), nil
}

func (s *simulator) updatePatient(ctx context.Context) (string, error) {
	p := s.patient()
	var set frontdesk.Set
	switch s.fake.IntRange(0, 2) {
	case 0:
		set = frontdesk.Set{{Column: "WirelessPhone", Value: s.phone()}}
	case 1:
		set = frontdesk.Set{{Column: "Email", Value: strings.ToLower(s.fake.Email())}}
	default:
		set = frontdesk.Set{{Column: "Address", Value: s.fake.Street()}, {Column: "City", Value: s.fake.City()}, {Column: "Zip", Value: s.fake.Zip()}}
	}
	_, err := s.desk.UpdatePatient(ctx, p, set)
	return fmt.Sprintf("PatNum %d %s", p, set[0].Column), err
}

func (s *simulator) setPatField(ctx context.Context) (string, error) {
	if len(s.defs) == 0 {
		return s.updatePatient(ctx)
	}
	p, def := s.patient(), s.defs[s.fake.IntRange(0, len(s.defs)-1)]
	var v string
	switch def.Type {
	case 1: // pick list
		if len(def.Items) == 0 {
			return s.updatePatient(ctx)
		}
		v = def.Items[s.fake.IntRange(0, len(def.Items)-1)]
	case 2: // date
		v = s.now.AddDate(0, 0, -s.fake.IntRange(0, 90)).Format(time.DateOnly)
	case 3: // checkbox
		v = "1"
	case 4: // currency
		v = fmt.Sprintf("%.2f", float64(s.fake.IntRange(1, 20))*5)
	default:
		v = s.fake.FirstName() + " " + s.fake.LastName() + " " + s.phone()
	}
	n, _, err := s.desk.SetPatField(ctx, p, def.Name, v)
	return fmt.Sprintf("PatFieldNum %d PatNum %d %s", n, p, def.Name), err
}

// slot is a half-hour start on one of the next business days, 8:00 to 16:30.
func (s *simulator) slot() time.Time {
	day := s.now
	for skip := s.fake.IntRange(1, 10); skip > 0; {
		day = day.AddDate(0, 0, 1)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			skip--
		}
	}
	y, m, d := day.Date()
	return time.Date(y, m, d, 8, 0, 0, 0, s.now.Location()).Add(time.Duration(s.fake.IntRange(0, 17)) * 30 * time.Minute)
}

var simProcs = []string{"PerEx, Pro", "PerEx, Pro, 4BW", "#3-MOD-C3(P)", "#14-O-C1(P)", "#19-PFMHN", "LimEx, PA", "#30-CrnSeat", "Consult"}

func (s *simulator) book(ctx context.Context) (string, error) {
	op := s.ops[s.fake.IntRange(0, len(s.ops)-1)]
	p := s.patient()
	minutes := 30 * s.fake.IntRange(1, 3)
	set := frontdesk.Set{
		{Column: "PatNum", Value: p}, {Column: "Op", Value: op.OperatoryNum},
		{Column: "AptDateTime", Value: s.slot()},
		{Column: "Pattern", Value: "/" + strings.Repeat("X", minutes/5-2) + "/"},
		{Column: "ProcDescript", Value: simProcs[s.fake.IntRange(0, len(simProcs)-1)]},
	}
	n, err := s.desk.BookAppointment(ctx, set)
	if err != nil {
		return fmt.Sprintf("PatNum %d", p), err
	}
	s.appts = append(s.appts, &simAppt{num: n})
	if len(s.appts) > maxTracked {
		s.appts = s.appts[1:]
	}
	return fmt.Sprintf("AptNum %d PatNum %d Op %d", n, p, op.OperatoryNum), nil
}

// pick returns a tracked appointment at random and its index.
func (s *simulator) pick() (*simAppt, int) {
	i := s.fake.IntRange(0, len(s.appts)-1)
	return s.appts[i], i
}

func (s *simulator) drop(i int) { s.appts = append(s.appts[:i], s.appts[i+1:]...) }

var simConfirmations = []string{"Appointment Confirmed", "Texted", "E-mailed", "Left Msg"}

// advance takes a tracked appointment one step further through its visit. Its detail starts with the
// operation's name.
func (s *simulator) advance(ctx context.Context) (string, error) {
	a, i := s.pick()
	var err error
	var op string
	switch a.stage {
	case 0:
		op = "confirm-appointment"
		_, err = s.desk.ConfirmAppointment(ctx, a.num, frontdesk.DefName(simConfirmations[s.fake.IntRange(0, len(simConfirmations)-1)]))
	case 1:
		op = "arrive"
		_, err = s.desk.MarkTime(ctx, a.num, frontdesk.Arrived, s.now, nil)
	case 2:
		op = "seat"
		_, err = s.desk.MarkTime(ctx, a.num, frontdesk.Seated, s.now, nil)
	case 3:
		op = "dismiss"
		_, err = s.desk.MarkTime(ctx, a.num, frontdesk.Dismissed, s.now, nil)
	default:
		op = "complete-appointment"
		_, err = s.desk.CompleteAppointment(ctx, a.num)
	}
	a.stage++
	if a.stage > 4 || frontdesk.IsRefused(err) {
		s.drop(i)
	}
	return fmt.Sprintf("%s AptNum %d", op, a.num), err
}

func (s *simulator) breakAppt(ctx context.Context) (string, error) {
	a, i := s.pick()
	s.drop(i)
	_, err := s.desk.BreakAppointment(ctx, a.num, s.fake.Bool())
	return fmt.Sprintf("AptNum %d", a.num), err
}

func (s *simulator) reschedule(ctx context.Context) (string, error) {
	a, i := s.pick()
	_, err := s.desk.RescheduleAppointment(ctx, a.num, frontdesk.Set{{Column: "AptDateTime", Value: s.slot()}})
	if frontdesk.IsRefused(err) {
		s.drop(i)
	}
	return fmt.Sprintf("AptNum %d", a.num), err
}

func (s *simulator) unschedule(ctx context.Context) (string, error) {
	a, i := s.pick()
	s.drop(i)
	_, err := s.desk.UnscheduleAppointment(ctx, a.num, frontdesk.DefName("Patient Will Call Us"))
	return fmt.Sprintf("AptNum %d", a.num), err
}

func (s *simulator) deleteAppt(ctx context.Context) (string, error) {
	a, i := s.pick()
	s.drop(i)
	hist, err := s.desk.DeleteAppointment(ctx, a.num)
	return fmt.Sprintf("AptNum %d HistApptNum %d", a.num, hist), err
}

// selectPatient selects a patient on the workstation. A failure (a patient or workstation odsim does
// not know, a running odsim out of reach) is reported as refused, and the simulation goes on.
func (s *simulator) selectPatient(ctx context.Context) (string, error) {
	p := s.patient()
	if err := s.cfg.Selector.SelectPatient(ctx, "", p); err != nil {
		return fmt.Sprintf("PatNum %d", p), &frontdesk.RefusedError{Reason: err.Error()}
	}
	return fmt.Sprintf("PatNum %d", p), nil
}
