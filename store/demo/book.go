package demo

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The appointment book covers two working weeks. Days are offsets from the anchor Monday; the practice is
// shown as it stands at asOfDay, asOfHour: earlier appointments are over, later ones still to come.
const (
	bookDays = 12 // Monday of week one to Friday of week two
	asOfDay  = 2  // Wednesday of week one
	asOfHour = 12
	holiday  = 11 // Friday of week two: Downtown closed for a staff training day
)

func hm(h, m int) int { return h*60 + m }

func clock(minutes int) string { return fmt.Sprintf("%02d:%02d:00", minutes/60, minutes%60) }

// provDay is a provider's working hours in some operatories on one day.
type provDay struct {
	prov        int64
	clinic      int64
	ops         []int64
	start, stop int // minutes after midnight
}

// providerDays returns who works where on day. Dr. Mitchell and hygienist Garcia run Downtown Monday to
// Friday (Friday mornings only); Dr. Patel runs Lakeside Monday to Thursday; hygienist Nguyen splits her
// week between the clinics.
func providerDays(day int) []provDay {
	weekday := day % 7
	if weekday > 4 || day == holiday {
		return nil
	}
	dtStop := hm(17, 0)
	if weekday == 4 {
		dtStop = hm(13, 0)
	}
	days := []provDay{
		{drMitchell, downtown, []int64{1, 2}, hm(8, 0), dtStop},
	}
	if weekday < 4 {
		days = append(days, provDay{drPatel, lakeside, []int64{5}, hm(9, 0), hm(18, 0)})
	}
	days = append(days, provDay{hygGarcia, downtown, []int64{3}, hm(8, 0), dtStop})
	switch weekday {
	case 0, 2:
		days = append(days, provDay{hygNguyen, downtown, []int64{4}, hm(8, 0), hm(17, 0)})
	case 1, 3:
		days = append(days, provDay{hygNguyen, lakeside, []int64{6}, hm(9, 0), hm(18, 0)})
	}
	return days
}

// blockout is time held in operatories for a purpose.
type blockout struct {
	typ         int64
	clinic      int64
	ops         []int64
	start, stop int
	note        string
}

func blockouts(day int) []blockout {
	weekday := day % 7
	if weekday > 4 || day == holiday {
		return nil
	}
	var out []blockout
	if day == 0 {
		out = append(out, blockout{blockStaffMeeting, downtown, []int64{1, 2, 3, 4}, hm(8, 0), hm(8, 30), "Monthly staff meeting"})
	}
	if day == 7 {
		out = append(out, blockout{blockStaffMeeting, lakeside, []int64{5, 6}, hm(9, 0), hm(9, 30), "Lakeside team huddle"})
	}
	if weekday == 1 {
		out = append(out, blockout{blockNewPatient, downtown, []int64{1}, hm(9, 0), hm(10, 0), ""})
	}
	if weekday == 2 {
		out = append(out, blockout{blockNewPatient, lakeside, []int64{5}, hm(10, 0), hm(11, 0), ""})
	}
	if weekday == 3 {
		out = append(out, blockout{blockNewPatient, downtown, []int64{1}, hm(14, 0), hm(15, 0), ""})
	}
	if weekday < 4 {
		out = append(out,
			blockout{blockLunch, downtown, []int64{1, 2, 3, 4}, hm(12, 0), hm(13, 0), ""},
			blockout{blockLunch, lakeside, []int64{5, 6}, hm(13, 0), hm(14, 0), ""},
			blockout{blockEmergency, downtown, []int64{2}, hm(15, 30), hm(16, 0), "Hold for same-day emergencies"},
		)
	}
	if weekday == 1 || weekday == 3 {
		out = append(out, blockout{blockEmergency, lakeside, []int64{5}, hm(16, 30), hm(17, 0), "Hold for same-day emergencies"})
	}
	return out
}

// practiceNote is a note or holiday shown at the top of a clinic's day.
type practiceNote struct {
	day    int
	clinic int64
	status int
	note   string
}

func practiceNotes() []practiceNote {
	return []practiceNote{
		{0, downtown, schedOpen, "Staff meeting 8:00 in the break room: new check-in kiosk"},
		{2, lakeside, schedOpen, "Sterilizer service visit at 2 pm"},
		{8, downtown, schedOpen, "Supply order arriving; Dr. Mitchell at Oak Ridge Assisted Living 7-8 am"},
		{holiday, downtown, schedHoliday, "Office closed: staff CE day"},
	}
}

// addSchedules adds the practice notes, provider hours and blockouts with their operatory links.
func addSchedules(d *dataset, anchor time.Time) {
	scheds, links := d.table("schedule"), d.table("scheduleop")
	var num, linkNum int64
	add := func(day, start, stop, typ int, prov, blockType int64, note string, status int, clinic int64, ops []int64) {
		num++
		scheds.add(col{"ScheduleNum", num}, col{"SchedDate", dateStr(anchor.AddDate(0, 0, day))},
			col{"StartTime", clock(start)}, col{"StopTime", clock(stop)}, col{"SchedType", typ}, col{"ProvNum", prov},
			col{"BlockoutType", blockType}, col{"Note", note}, col{"Status", status}, col{"EmployeeNum", 0},
			col{"ClinicNum", clinic})
		for _, op := range ops {
			linkNum++
			links.add(col{"ScheduleOpNum", linkNum}, col{"ScheduleNum", num}, col{"OperatoryNum", op})
		}
	}
	notes := practiceNotes()
	for day := range bookDays {
		for _, n := range notes {
			if n.day == day {
				add(day, 0, 0, schedPractice, 0, 0, n.note, n.status, n.clinic, nil)
			}
		}
		for _, p := range providerDays(day) {
			add(day, p.start, p.stop, schedProvider, p.prov, 0, "", schedOpen, p.clinic, p.ops)
		}
		for _, b := range blockouts(day) {
			add(day, b.start, b.stop, schedBlockout, 0, b.typ, b.note, schedOpen, b.clinic, b.ops)
		}
	}
}

// visit is a kind of appointment: what is done, how long it takes, and for whom.
type visit struct {
	descript func(r *rng, p patient) string
	minutes  int
	forChild bool // for patients under 13; otherwise for adults and teens
	recall   bool // a hygiene recall visit: once per patient in the two weeks
	locked   bool // long procedures whose length the office locks
	weight   int
}

func fixed(s string) func(*rng, patient) string { return func(*rng, patient) string { return s } }

// Procedure descriptions in Open Dental's style: "#tooth-surfaces-abbreviation" for tooth procedures,
// the code's abbreviation otherwise, joined with ", ".
func posteriorFill(r *rng, _ patient) string {
	posterior := []int{2, 3, 4, 5, 12, 13, 14, 15, 18, 19, 20, 21, 28, 29, 30, 31}
	tooth := pick(r, posterior)
	surf := pick(r, []string{"O", "MO", "DO", "MOD", "OL", "OB"})
	s := fmt.Sprintf("#%d-%s-C%d(P)", tooth, surf, min(len(surf), 4))
	if other := pick(r, posterior); r.chance(30) && other != tooth {
		s += fmt.Sprintf(", #%d-O-C1(P)", other)
	}
	return s
}

func anteriorFill(r *rng, _ patient) string {
	tooth := pick(r, []int{6, 7, 8, 9, 10, 11, 22, 23, 24, 25, 26, 27})
	surf := pick(r, []string{"M", "D", "MF", "DL", "MIF"})
	return fmt.Sprintf("#%d-%s-C%dA", tooth, surf, len(surf))
}

func crown(suffix string) func(*rng, patient) string {
	return func(r *rng, _ patient) string {
		return fmt.Sprintf("#%d-%s", pick(r, []int{2, 3, 14, 15, 18, 19, 30, 31}), suffix)
	}
}

func primaryFill(r *rng, _ patient) string {
	return fmt.Sprintf("#%s-%s-C2(P)", pick(r, []string{"A", "B", "I", "J", "K", "L", "S", "T"}), pick(r, []string{"DO", "MO", "O"}))
}

func srp(r *rng, _ patient) string {
	return pick(r, []string{"SRP UR, SRP LR", "SRP UL, SRP LL", "SRP UR, SRP UL", "SRP LR, SRP LL"})
}

func visitsFor(kind opKind) []visit {
	switch kind {
	case kindHygiene:
		return []visit{
			{fixed("PerEx, Pro"), 50, false, true, false, 30},
			{fixed("PerEx, Pro, 4BW"), 60, false, true, false, 30},
			{fixed("PerEx, Pro, FMX"), 70, false, true, false, 10},
			{fixed("PerEx, PerioMaint, 4BW"), 60, false, true, false, 12},
			{srp, 60, false, false, false, 10},
			{fixed("PerioMaint"), 60, false, false, false, 5},
			{fixed("Arestin x3"), 30, false, false, false, 3},
			{fixed("Desens, Fl"), 30, false, false, false, 4},
			{fixed("PerioChart, FMX"), 40, false, false, false, 4},
			{fixed("BleachTray"), 30, false, false, false, 3},
			{fixed("PerioMaint, Arestin x2"), 60, false, false, false, 3},
			{fixed("PerEx, ProChild, Fl"), 40, true, true, false, 40},
			{fixed("PerEx, ProChild, Fl, 2BW"), 45, true, true, false, 40},
			{fixed("Seal, Seal"), 30, true, false, false, 15},
			{fixed("Seal, Seal, Seal, Seal"), 45, true, false, false, 8},
			{fixed("Fl, OHI"), 30, true, false, false, 5},
		}
	case kindSurgery:
		return []visit{
			{func(r *rng, _ patient) string { return fmt.Sprintf("#%d-Ext", pick(r, []int{2, 4, 5, 13, 20, 29, 31})) }, 45, false, false, false, 20},
			{func(r *rng, _ patient) string { return fmt.Sprintf("#%d-ExtSurg", pick(r, []int{1, 16, 17, 32})) }, 60, false, false, false, 10},
			{fixed("#1-ExtSurg, #16-ExtSurg, #17-ExtSurg, #32-ExtSurg"), 90, false, false, true, 4},
			{crown("Impl"), 90, false, false, true, 6},
			{fixed("LimEx, PA"), 30, false, false, false, 6},
			{func(r *rng, _ patient) string { return fmt.Sprintf("#%s-Ext", pick(r, []string{"A", "J", "K", "T"})) }, 30, true, false, false, 10},
		}
	default:
		return []visit{
			{posteriorFill, 60, false, false, false, 25},
			{anteriorFill, 45, false, false, false, 8},
			{crown("PFMHN"), 90, false, false, true, 10},
			{crown("CrnSeat"), 30, false, false, false, 8},
			{crown("RCTMolar"), 90, false, false, true, 5},
			{fixed("LimEx, PA"), 30, false, false, false, 8},
			{fixed("Consult"), 30, false, false, false, 4},
			{fixed("OcclGuard"), 30, false, false, false, 3},
			{primaryFill, 45, true, false, false, 30},
			{func(r *rng, _ patient) string { return fmt.Sprintf("#%s-SSC", pick(r, []string{"A", "J", "K", "T"})) }, 45, true, false, false, 10},
			{fixed("LimEx, PA"), 30, true, false, false, 6},
		}
	}
}

// pattern is the appointment's length in 5-minute slots: X for the provider's time, / for the
// assistant's or hygienist's time at either end.
func pattern(minutes int, hygiene bool) string {
	n, edge := minutes/5, 1
	if hygiene {
		edge = 2
	}
	return strings.Repeat("/", edge) + strings.Repeat("X", n-2*edge) + strings.Repeat("/", edge)
}

// appt is an appointment under construction; its number is given once the book is complete.
type appt struct {
	num        int64
	pat        patient
	op         operatory
	status     int
	start      time.Time // zero for planned appointments
	minutes    int
	descript   string
	prov, hyg  int64
	clinic     int64
	confirmed  int64
	unsched    int64
	priority   int
	locked     bool
	newPatient bool
	webSched   bool
	note       string
	color      int32
	booked     time.Time
	arrived    time.Time
	seated     time.Time
	dismissed  time.Time
	askArrive  time.Time
	next       *appt // the planned appointment this one schedules
	planOrder  int
}

// addAppointments fills the operatories' open hours with appointments, then gives each its status as of
// the demo's "now", and adds planned appointments (treatment agreed but not yet booked).
func addAppointments(d *dataset, anchor time.Time, pats []patient) {
	r := newRNG(0xa9901e7)
	asOf := anchor.AddDate(0, 0, asOfDay).Add(asOfHour * time.Hour)
	at := func(day, minutes int) time.Time {
		return anchor.AddDate(0, 0, day).Add(time.Duration(minutes) * time.Minute)
	}

	var book []*appt
	count := map[int64]int{}       // appointments per patient
	hadRecall := map[int64]bool{}  // patients who already have a hygiene recall visit
	busyDay := map[[2]int64]bool{} // (day, patient) pairs already booked

	// New patients' first visits sit in the new-patient blockouts.
	for _, p := range pats {
		if p.np == nil {
			continue
		}
		op := opByNum(p.np.op)
		a := &appt{pat: p, op: op, start: at(p.np.day, hm(p.np.hour, p.np.min)), minutes: 60,
			descript: "CompEx, FMX, Pro", prov: op.dentist, clinic: op.clinic, newPatient: true, webSched: p.np.webSched}
		if op.clinic == lakeside {
			a.descript = "CompEx, 4BW, Pano"
		}
		a.askArrive = a.start.Add(-15 * time.Minute)
		book = append(book, a)
		busyDay[[2]int64{int64(p.np.day), p.num}] = true
	}

	for day := range bookDays {
		for _, pd := range providerDays(day) {
			for _, opNum := range pd.ops {
				op := opByNum(opNum)
				gapPct := openPct(op.kind)
				for _, free := range freeTimes(pd, opNum, blockouts(day)) {
					t := free[0]
					for free[1]-t >= 30 {
						if r.chance(gapPct) {
							t += pick(r, []int{30, 30, 60})
							continue
						}
						p, ok := choosePatient(r, pats, op.clinic, day, count, busyDay, op.kind == kindHygiene, hadRecall)
						if !ok {
							break
						}
						v, ok := chooseVisit(r, op.kind, p, free[1]-t, hadRecall[p.num])
						if !ok {
							break
						}
						a := &appt{pat: p, op: op, start: at(day, t), minutes: v.minutes, descript: v.descript(r, p),
							prov: op.dentist, clinic: op.clinic, locked: v.locked}
						if op.kind == kindHygiene {
							a.hyg = pd.prov
							if v.recall {
								hadRecall[p.num] = true
							}
						} else {
							a.prov = pd.prov
						}
						book = append(book, a)
						count[p.num]++
						busyDay[[2]int64{int64(day), p.num}] = true
						t += v.minutes
					}
				}
			}
		}
	}
	slices.SortStableFunc(book, func(a, b *appt) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return int(a.op.num - b.op.num)
	})

	for _, a := range book {
		setStatus(r, a, asOf)
	}
	planned := addPlanned(r, book, pats, asOf)
	all := append(book, planned...)
	for i, a := range all {
		a.num = int64(i + 1)
	}
	t := d.table("appointment")
	for _, a := range all {
		t.add(a.row()...)
	}
}

// openPct is how often, in a hundred chances, a slot of an operatory of kind stays open: the surgery
// chair is used least. It sets the book's size, about 300 appointments.
func openPct(kind opKind) int {
	switch kind {
	case kindSurgery:
		return 60
	case kindHygiene:
		return 27
	default:
		return 24
	}
}

// freeTimes returns the [start, stop) spans of the provider's hours in op not covered by a blockout.
func freeTimes(pd provDay, op int64, blocks []blockout) [][2]int {
	free := [][2]int{{pd.start, pd.stop}}
	for _, b := range blocks {
		if !slices.Contains(b.ops, op) {
			continue
		}
		var next [][2]int
		for _, f := range free {
			if b.stop <= f[0] || b.start >= f[1] {
				next = append(next, f)
				continue
			}
			if b.start > f[0] {
				next = append(next, [2]int{f[0], b.start})
			}
			if b.stop < f[1] {
				next = append(next, [2]int{b.stop, f[1]})
			}
		}
		free = next
	}
	slices.SortFunc(free, func(a, b [2]int) int { return a[0] - b[0] })
	return free
}

// choosePatient picks, among the clinic's patients not yet booked that day, one of those with the fewest
// appointments so far; for hygiene chairs, patients still due their recall visit come first.
func choosePatient(r *rng, pats []patient, clinic int64, day int, count map[int64]int, busyDay map[[2]int64]bool, hygiene bool, hadRecall map[int64]bool) (patient, bool) {
	var best []patient
	bestScore := 1 << 30
	for _, p := range pats {
		if !p.bookable() || p.clinic != clinic || busyDay[[2]int64{int64(day), p.num}] {
			continue
		}
		score := count[p.num] * 10
		if hygiene && hadRecall[p.num] {
			score += 25
		}
		switch {
		case score < bestScore:
			best, bestScore = []patient{p}, score
		case score == bestScore:
			best = append(best, p)
		}
	}
	if len(best) == 0 {
		return patient{}, false
	}
	return pick(r, best), true
}

// chooseVisit picks a kind of visit for p that fits in room minutes.
func chooseVisit(r *rng, kind opKind, p patient, room int, hadRecall bool) (visit, bool) {
	var fits []weighted[visit]
	for _, v := range visitsFor(kind) {
		if v.minutes > room || v.forChild != (p.age < 13) || (v.recall && hadRecall) {
			continue
		}
		fits = append(fits, weighted[visit]{v.weight, v})
	}
	if len(fits) == 0 {
		return visit{}, false
	}
	return pickWeighted(r, fits), true
}

// setStatus decides what has become of a booked appointment by the demo's "now": most past ones were
// completed, a few broken or sent to the unscheduled list; future ones wait with a confirmation status
// that depends on how soon they are and how the patient likes to be reached.
func setStatus(r *rng, a *appt, asOf time.Time) {
	// Booked at the previous recall visit for hygiene, a few days or weeks ahead otherwise.
	switch {
	case a.webSched:
		a.booked = a.start.AddDate(0, 0, -r.between(4, 9)).Truncate(24 * time.Hour).Add(time.Duration(r.between(hm(19, 0), hm(22, 30))) * time.Minute)
	case a.newPatient:
		a.booked = a.pat.entered.Add(time.Duration(r.between(hm(9, 0), hm(16, 45))) * time.Minute)
	case a.hyg != 0 && strings.HasPrefix(a.descript, "PerEx"):
		a.booked = a.start.AddDate(0, 0, -r.between(170, 190)).Truncate(24 * time.Hour).Add(time.Duration(r.between(hm(8, 30), hm(16, 30))) * time.Minute)
	default:
		a.booked = a.start.AddDate(0, 0, -r.between(1, 28)).Truncate(24 * time.Hour).Add(time.Duration(r.between(hm(8, 0), hm(17, 0))) * time.Minute)
	}
	a.booked = a.booked.Add(time.Duration(r.intn(60)) * time.Second)
	if first := a.pat.entered.Add(8 * time.Hour); a.booked.Before(first) {
		a.booked = first.Add(time.Duration(r.intn(3600)) * time.Second)
	}
	if !a.booked.Before(asOf) {
		a.booked = asOf.Add(-time.Duration(r.between(60, 3000)) * time.Minute)
	}
	if a.pat.premed {
		a.color = argb(240, 128, 128) // LightCoral: the office flags premedication
		a.note = "Premed required - confirm taken at check-in"
	}

	if a.start.Before(asOf) {
		a.status = aptComplete
		switch roll := r.intn(100); {
		case a.newPatient:
		case roll < 9:
			a.status = aptBroken
			a.confirmed = pick(r, []int64{confirmLeftMsg, confirmNotCalled, confirmConfirmed})
			a.note = pick(r, []string{"No show, no call", "Pt called 10 min before: sick child", "Car trouble, will call to reschedule", "No show; left voicemail"})
			return
		case roll < 13:
			a.status = aptUnschedList
			a.confirmed = confirmLeftMsg
			a.unsched = pick(r, []int64{unschedLeftMsg, unschedNotHome, unschedTexted, unschedMailed, unschedMsgFamily})
			a.note = "Broken appt, moved to unscheduled list"
			return
		}
		a.confirmed = pickWeighted(r, []weighted[int64]{{30, confirmInRoom}, {10, confirmReady}, {20, confirmArrived}, {30, confirmConfirmed}, {10, confirmFrontDesk}})
		a.arrived = a.start.Add(time.Duration(r.between(-15, 4))*time.Minute + time.Duration(r.intn(60))*time.Second)
		seat := a.start
		if a.arrived.After(seat) {
			seat = a.arrived
		}
		a.seated = seat.Add(time.Duration(r.between(1, 9))*time.Minute + time.Duration(r.intn(60))*time.Second)
		a.dismissed = a.start.Add(time.Duration(a.minutes+r.between(-5, 10))*time.Minute + time.Duration(r.intn(60))*time.Second)
		if a.note == "" && r.chance(8) {
			a.note = pick(r, []string{"Pt 10 min late", "Discussed whitening options", "Pt anxious; went well", "Updated medical history"})
		}
		return
	}

	a.status = aptScheduled
	if !a.newPatient && r.chance(4) {
		a.status = aptUnschedList
		a.confirmed = pick(r, []int64{confirmNotCalled, confirmLeftMsg})
		a.unsched = pick(r, []int64{unschedWillCallUs, unschedCallBack})
		a.note = "Pt cancelled; will call to reschedule"
		if r.chance(40) {
			a.priority = priorityASAP
		}
		return
	}
	if !a.newPatient && r.chance(4) {
		a.priority = priorityASAP
		if a.note == "" {
			a.note = "Pt wants an earlier time if one opens up"
		}
	}
	if a.note == "" && r.chance(10) {
		a.note = pick(r, []string{"Pt prefers mornings", "Bring updated insurance card", "Nitrous requested", "Pre-authorization received", "Allow extra time: anxious patient"})
	}
	days := int(a.start.Truncate(24*time.Hour).Sub(asOf.Truncate(24*time.Hour)).Hours() / 24)
	reminded := map[int]int64{contactText: confirmTexted, contactEmail: confirmEmailed}[a.pat.confirmVia]
	if reminded == 0 {
		reminded = confirmLeftMsg
	}
	switch {
	case a.webSched:
		a.confirmed = confirmWebSched
	case days <= 0:
		a.confirmed = pickWeighted(r, []weighted[int64]{{65, confirmConfirmed}, {20, reminded}, {15, confirmLeftMsg}})
	case days <= 2:
		a.confirmed = pickWeighted(r, []weighted[int64]{{45, confirmConfirmed}, {30, reminded}, {15, confirmESent}, {10, confirmUnconfirmed}})
	case days <= 6:
		a.confirmed = pickWeighted(r, []weighted[int64]{{15, confirmConfirmed}, {35, confirmESent}, {25, confirmUnconfirmed}, {25, confirmNotCalled}})
	default:
		a.confirmed = pickWeighted(r, []weighted[int64]{{70, confirmNotCalled}, {20, confirmUnconfirmed}, {10, confirmESent}})
	}
}

// addPlanned adds planned appointments: for three booked restorative visits, the planned appointment they
// were scheduled from (linked by NextAptNum); and for some patients seen this week, treatment planned at
// that visit and not yet booked.
func addPlanned(r *rng, book []*appt, pats []patient, asOf time.Time) []*appt {
	var planned []*appt
	order := map[int64]int{}
	plan := func(src *appt, descript string, minutes int, created time.Time) *appt {
		order[src.pat.num]++
		prov := int64(drMitchell)
		if src.pat.clinic == lakeside {
			prov = drPatel
		}
		p := &appt{pat: src.pat, status: aptPlanned, minutes: minutes, descript: descript, prov: prov,
			clinic: src.pat.clinic, confirmed: confirmNotCalled, booked: created, planOrder: order[src.pat.num]}
		planned = append(planned, p)
		return p
	}
	linked := 0
	for _, a := range book {
		if linked == 3 {
			break
		}
		if a.status == aptScheduled && a.op.kind == kindGeneral && a.minutes >= 60 && a.start.After(asOf.AddDate(0, 0, 2)) {
			a.next = plan(a, a.descript, a.minutes, a.booked.Add(-time.Duration(r.between(10, 40))*time.Minute))
			linked++
		}
	}
	seen := map[int64]bool{}
	for _, a := range book {
		if a.status != aptComplete || seen[a.pat.num] || !(a.newPatient || r.chance(12)) {
			continue
		}
		seen[a.pat.num] = true
		v, minutes := "", 60
		switch {
		case a.pat.age < 13:
			v, minutes = primaryFill(r, a.pat), 45
		case r.chance(35):
			v, minutes = crown("PFMHN")(r, a.pat), 90
		default:
			v = posteriorFill(r, a.pat)
		}
		plan(a, v, minutes, a.dismissed.Add(time.Duration(r.between(1, 6))*time.Minute))
	}
	return planned
}

// row is the appointment's full row.
func (a *appt) row() []col {
	opNum, start, hygiene := int64(0), noDateTime, 0
	if a.status != aptPlanned {
		opNum, start = a.op.num, dateTimeStr(a.start)
		hygiene = b01(a.op.kind == kindHygiene)
	}
	var next int64
	if a.next != nil {
		next = a.next.num
	}
	return []col{
		{"AptNum", a.num}, {"PatNum", a.pat.num}, {"AptStatus", a.status},
		{"Pattern", pattern(a.minutes, hygiene == 1)}, {"Confirmed", a.confirmed}, {"TimeLocked", b01(a.locked)},
		{"Op", opNum}, {"Note", a.note}, {"ProvNum", a.prov}, {"ProvHyg", a.hyg}, {"AptDateTime", start},
		{"NextAptNum", next}, {"UnschedStatus", a.unsched}, {"IsNewPatient", b01(a.newPatient)},
		{"ProcDescript", a.descript}, {"Assistant", 0}, {"ClinicNum", a.clinic}, {"IsHygiene", hygiene},
		{"DateTimeArrived", timeOrNone(a.arrived)}, {"DateTimeSeated", timeOrNone(a.seated)},
		{"DateTimeDismissed", timeOrNone(a.dismissed)}, {"InsPlan1", 0}, {"InsPlan2", 0},
		{"DateTimeAskedToArrive", timeOrNone(a.askArrive)}, {"ProcsColored", ""}, {"ColorOverride", a.color},
		{"AppointmentTypeNum", 0}, {"SecUserNumEntry", adminUser}, {"SecDateTEntry", dateTimeStr(a.booked)},
		{"Priority", a.priority}, {"ProvBarText", ""}, {"PatternSecondary", ""}, {"SecurityHash", ""},
		{"ItemOrderPlanned", a.planOrder},
	}
}

func timeOrNone(t time.Time) string {
	if t.IsZero() {
		return noDateTime
	}
	return dateTimeStr(t)
}

// build generates the whole practice for the two weeks starting on anchor.
func build(anchor time.Time) (*dataset, error) {
	d := &dataset{}
	// Load order: rows that others refer to come first.
	for _, name := range []string{"clinic", "site", "provider", "operatory", "patient", "patfielddef",
		"patfieldpickitem", "patfield", "schedule", "scheduleop", "appointment", "toothinitial"} {
		d.table(name)
	}
	addPractice(d, anchor)
	pats := addPatients(d, anchor)
	addSchedules(d, anchor)
	addAppointments(d, anchor, pats)
	if err := d.check(); err != nil {
		return nil, err
	}
	return d, nil
}
