package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// The practice every dataset shares: the providers, clinics and sites the derived fields name.
const (
	providers = 20
	clinics   = 3
	sites     = 5
	insertRow = 1000 // rows per multi-row INSERT
)

// dataset is what load put in the database: n changed rows per watched table, stamped in the hour
// before base (the database's NOW() when loading began), so a window starting two hours before base
// holds them all.
type dataset struct {
	n    int
	base time.Time
}

// windowStart is where the bench's subscriptions and the floor start their window.
func (d dataset) windowStart() time.Time { return d.base.Add(-2 * time.Hour) }

// definitions are the seeded DefNums of one category.
type definitions map[int][]int64

// load fills a freshly migrated database with the practice and n changed rows in each of
// appointment, patient, patfield and schedule (with one to three scheduleop rows each). Rows are
// made from a fixed seed, so every run loads the same bytes.
func load(ctx context.Context, db *sql.DB, n int) (dataset, error) {
	var now string
	if err := db.QueryRowContext(ctx, "SELECT NOW()").Scan(&now); err != nil {
		return dataset{}, fmt.Errorf("read database time: %w", err)
	}
	base, err := time.Parse(dateTime, now)
	if err != nil {
		return dataset{}, fmt.Errorf("parse database time %q: %w", now, err)
	}
	defs, err := readDefinitions(ctx, db)
	if err != nil {
		return dataset{}, err
	}
	if err := loadPractice(ctx, db); err != nil {
		return dataset{}, err
	}
	g := &gen{n: n, base: base, defs: defs}
	loaders := []struct {
		table string
		cols  string
		row   func(r *rand.Rand, i int) []any
	}{
		{"appointment", appointmentCols, g.appointment},
		{"patient", patientCols, g.patient},
		{"patfield", patfieldCols, g.patfield},
		{"schedule", scheduleCols, g.schedule},
	}
	eg, ctx := errgroup.WithContext(ctx)
	for k, l := range loaders {
		eg.Go(func() error {
			r := rand.New(rand.NewPCG(2026, uint64(k)))
			return insertRows(ctx, db, l.table, l.cols, n, func(i int) []any { return l.row(r, i) })
		})
	}
	eg.Go(func() error {
		r := rand.New(rand.NewPCG(2026, 99))
		var ops []any
		for s := 1; s <= n; s++ {
			for range 1 + r.IntN(3) {
				ops = append(ops, s, 1+r.IntN(10))
			}
		}
		return insertRows(ctx, db, "scheduleop", "ScheduleNum, OperatoryNum", len(ops)/2, func(i int) []any { return ops[2*i : 2*i+2] })
	})
	if err := eg.Wait(); err != nil {
		return dataset{}, err
	}
	return dataset{n: n, base: base}, nil
}

const dateTime = "2006-01-02 15:04:05"

func readDefinitions(ctx context.Context, db *sql.DB) (definitions, error) {
	rows, err := db.QueryContext(ctx, "SELECT Category, DefNum FROM definition ORDER BY Category, ItemOrder")
	if err != nil {
		return nil, fmt.Errorf("read definitions: %w", err)
	}
	defer rows.Close()
	defs := definitions{}
	for rows.Next() {
		var cat int
		var num int64
		if err := rows.Scan(&cat, &num); err != nil {
			return nil, fmt.Errorf("read definitions: %w", err)
		}
		defs[cat] = append(defs[cat], num)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read definitions: %w", err)
	}
	for _, cat := range []int{2, 4, 13, 25} {
		if len(defs[cat]) == 0 {
			return nil, fmt.Errorf("read definitions: category %d has no rows (was the schema seeded?)", cat)
		}
	}
	return defs, nil
}

func loadPractice(ctx context.Context, db *sql.DB) error {
	r := rand.New(rand.NewPCG(2026, 100))
	// Providers are stamped long ago, outside every window the bench opens.
	err := insertRows(ctx, db, "provider", "ProvNum, Abbr, LName, FName, MI, FeeSched, Specialty, SSN, StateLicense, ProvColor, NationalProvID, IsSecondary, SchedNote, PreferredName, DateTStamp", providers,
		func(i int) []any {
			abbr := fmt.Sprintf("DOC%d", i+1)
			if i%4 == 3 {
				abbr = fmt.Sprintf("HYG%d", i+1)
			}
			return []any{i + 1, abbr, pick(r, lastNames), pick(r, firstNames), "A", 53, 0, fmt.Sprintf("%09d", r.IntN(1e9)), "DL" + fmt.Sprint(r.IntN(1e6)), r.Int32(), fmt.Sprint(1e9 + r.IntN(1e9)), i % 4 / 3, "", "", "2020-01-02 03:04:05"}
		})
	if err != nil {
		return err
	}
	if err := insertRows(ctx, db, "clinic", "ClinicNum, Description, Abbr, Address, City, State, Zip", clinics, func(i int) []any {
		return []any{i + 1, fmt.Sprintf("Clinic %d", i+1), fmt.Sprintf("C%d", i+1), "1 Main St", pick(r, cities), "OR", "97301"}
	}); err != nil {
		return err
	}
	return insertRows(ctx, db, "site", "SiteNum, Description, Note", sites, func(i int) []any {
		return []any{i + 1, fmt.Sprintf("Site %d, %s", i+1, pick(r, cities)), ""}
	})
}

// insertRows inserts n rows made by row in multi-row INSERTs. For MyISAM tables, index maintenance
// is deferred to the end (DISABLE KEYS), which other engines ignore.
func insertRows(ctx context.Context, db *sql.DB, table, cols string, n int, row func(i int) []any) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("load %s: %w", table, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "ALTER TABLE "+table+" DISABLE KEYS"); err != nil {
		return fmt.Errorf("load %s: %w", table, err)
	}
	width := strings.Count(cols, ",") + 1
	tuple := "(" + strings.Repeat("?, ", width-1) + "?)"
	var args []any
	for done := 0; done < n; {
		batch := min(insertRow, n-done)
		args = args[:0]
		for i := done; i < done+batch; i++ {
			args = append(args, row(i)...)
		}
		q := "INSERT INTO " + table + " (" + cols + ") VALUES " + strings.Repeat(tuple+",", batch-1) + tuple
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("load %s: %w", table, err)
		}
		done += batch
	}
	if _, err := conn.ExecContext(ctx, "ALTER TABLE "+table+" ENABLE KEYS"); err != nil {
		return fmt.Errorf("load %s: %w", table, err)
	}
	return nil
}

// gen makes the rows of the watched tables.
type gen struct {
	n    int
	base time.Time
	defs definitions
}

// stamp is a change time in the hour before base: rows are not in primary-key order by time, so
// the database sorts for real.
func (g *gen) stamp(r *rand.Rand) string {
	return g.base.Add(-time.Duration(1+r.IntN(3600)) * time.Second).Format(dateTime)
}

func (g *gen) def(r *rand.Rand, cat int) int64 { return g.defs[cat][r.IntN(len(g.defs[cat]))] }

const appointmentCols = "AptNum, PatNum, AptStatus, Pattern, Confirmed, TimeLocked, Op, Note, ProvNum, ProvHyg, AptDateTime, " +
	"NextAptNum, UnschedStatus, IsNewPatient, ProcDescript, ClinicNum, IsHygiene, DateTStamp, DateTimeArrived, DateTimeSeated, " +
	"DateTimeDismissed, InsPlan1, InsPlan2, DateTimeAskedToArrive, ColorOverride, AppointmentTypeNum, SecDateTEntry, Priority, " +
	"PatternSecondary, ProcsColored, ProvBarText, SecurityHash"

func (g *gen) appointment(r *rand.Rand, i int) []any {
	day := g.base.AddDate(0, 0, r.IntN(120)-60).Truncate(24 * time.Hour)
	at := day.Add(time.Duration(7*60+10*r.IntN(60)) * time.Minute)
	status := []int{1, 1, 1, 1, 2, 2, 3, 5, 6}[r.IntN(9)]
	arrived, seated, dismissed := "0001-01-01 00:00:00", "0001-01-01 00:00:00", "0001-01-01 00:00:00"
	if status == 2 {
		arrived = at.Add(-5 * time.Minute).Format(dateTime)
		seated = at.Add(2 * time.Minute).Format(dateTime)
		dismissed = at.Add(50 * time.Minute).Format(dateTime)
	}
	unsched := int64(0)
	if status == 3 {
		unsched = g.def(r, 13)
	}
	prov := 1 + r.IntN(providers)
	hyg := 0
	if r.IntN(3) == 0 {
		hyg = 4 * (1 + r.IntN(providers/4))
	}
	return []any{
		i + 1, 1 + r.IntN(g.n), status, patterns[r.IntN(len(patterns))], g.def(r, 2), r.IntN(10) / 9, 1 + r.IntN(10),
		pick(r, notes), prov, hyg, at.Format(dateTime),
		0, unsched, r.IntN(8) / 7, pick(r, procs), 1 + r.IntN(clinics), boolInt(hyg > 0), g.stamp(r), arrived, seated,
		dismissed, r.IntN(4000), 0, "0001-01-01 00:00:00", colours[r.IntN(len(colours))], r.IntN(5), at.AddDate(0, 0, -r.IntN(30)).Format(dateTime), r.IntN(10) / 9,
		"", "", "", "",
	}
}

const patientCols = "PatNum, LName, FName, MiddleI, Preferred, PatStatus, Gender, Position, Birthdate, SSN, Address, Address2, City, " +
	"State, Zip, HmPhone, WkPhone, WirelessPhone, Guarantor, Email, EstBalance, PriProv, SecProv, FeeSched, BillingType, ImageFolder, " +
	"FamFinUrgNote, ChartNumber, MedicaidID, BalTotal, EmployerNum, DateFirstVisit, ClinicNum, Premed, Ward, PreferConfirmMethod, " +
	"PreferContactMethod, PreferRecallMethod, Language, AdmitDate, SiteNum, DateTStamp, SuperFamily, TxtMsgOk, SecDateEntry, " +
	"AddrNote, SchoolName, SmokingSnoMed, Country, SecurityHash"

func (g *gen) patient(r *rand.Rand, i int) []any {
	num := i + 1
	guarantor := num - r.IntN(3)
	if guarantor < 1 {
		guarantor = num
	}
	ln, fn := pick(r, lastNames), pick(r, firstNames)
	birth := time.Date(1940+r.IntN(80), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
	email := ""
	if r.IntN(3) > 0 {
		email = strings.ToLower(fn+"."+ln) + "@example.com"
	}
	balance := float64(r.IntN(50000)) / 100
	return []any{
		num, ln, fn, string(rune('A' + r.IntN(26))), "", r.IntN(10) / 8, r.IntN(2), r.IntN(3), birth.Format("2006-01-02"),
		fmt.Sprintf("%09d", r.IntN(1e9)), fmt.Sprintf("%d %s", 1+r.IntN(9999), pick(r, streets)), "", pick(r, cities),
		"OR", fmt.Sprintf("97%03d", r.IntN(1000)), phone(r), phone(r), phone(r), guarantor, email, balance,
		1 + r.IntN(providers), r.IntN(providers), 0, g.def(r, 4), fmt.Sprintf("%s%s%d", ln, fn, num),
		pick(r, notes), fmt.Sprint(num), "", balance, 0, birth.AddDate(20, 0, 0).Format("2006-01-02"), 1 + r.IntN(clinics), r.IntN(10) / 9, "",
		r.IntN(9), r.IntN(9), r.IntN(9), "", "0001-01-01", 1 + r.IntN(sites), g.stamp(r), 0, r.IntN(3), g.base.AddDate(0, 0, -r.IntN(3000)).Format("2006-01-02"),
		"", "", "", "", "",
	}
}

const patfieldCols = "PatFieldNum, PatNum, FieldName, FieldValue, SecDateEntry, SecDateTEdit"

func (g *gen) patfield(r *rand.Rand, i int) []any {
	name := pick(r, fieldNames)
	return []any{i + 1, 1 + r.IntN(g.n), name, pick(r, fieldValues), g.base.AddDate(0, 0, -r.IntN(900)).Format("2006-01-02"), g.stamp(r)}
}

const scheduleCols = "ScheduleNum, SchedDate, StartTime, StopTime, SchedType, ProvNum, BlockoutType, Note, EmployeeNum, DateTStamp, ClinicNum"

func (g *gen) schedule(r *rand.Rand, i int) []any {
	typ := []int{1, 1, 1, 2, 2, 0, 3}[r.IntN(7)]
	prov, blockout, emp := 0, int64(0), 0
	switch typ {
	case 1:
		prov = 1 + r.IntN(providers)
	case 2:
		blockout = g.def(r, 25)
	case 3:
		emp = 1 + r.IntN(30)
	}
	start := 7 + r.IntN(5)
	note := ""
	if r.IntN(4) == 0 {
		note = pick(r, notes)
	}
	return []any{
		i + 1, g.base.AddDate(0, 0, r.IntN(120)-60).Format("2006-01-02"), fmt.Sprintf("%02d:00:00", start), fmt.Sprintf("%02d:30:00", start+4+r.IntN(4)),
		typ, prov, blockout, note, emp, g.stamp(r), 1 + r.IntN(clinics),
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

func phone(r *rand.Rand) string {
	if r.IntN(4) == 0 {
		return ""
	}
	return fmt.Sprintf("(503)%03d-%04d", r.IntN(1000), r.IntN(10000))
}

var (
	lastNames  = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "García", "Miller", "Davis", "Rodríguez", "Martinez", "O'Neil", "Nguyen", "Lee", "Walker", "Hall", "Allen", "Young", "Hernández", "King", "Wright"}
	firstNames = []string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "Zoë", "José", "Chloé", "Sam", "Alex", "Noah", "Emma", "Olivia", "Liam", "Ava"}
	cities     = []string{"Salem", "Portland", "Eugene", "Bend", "Medford", "Corvallis", "Keizer", "Albany"}
	streets    = []string{"Main St", "Oak Ave", "Pine Rd", "Cedar Ln", "Maple Dr", "Elm St", "Commercial St NE", "Lancaster Dr SE"}
	procs      = []string{"PerEx, Pro, 4BW", "Pro, Flo", "Crn-PFM #3", "RCT-Molar #19, BU", "Ext #32", "SRP-UR, SRP-UL", "CompEx, FMX, Pro", "Fill #14-MOD, Fill #15-O", ""}
	patterns   = []string{"//XXXX//", "/XXX/", "//XXXXXX//", "XXXX", "/XXXXXXXX//"}
	colours    = []int64{0, 0, 0, -16777216, -65536, -16744448, 16711680}
	notes      = []string{
		"", "", "", "Patient prefers mornings", "Call before 5pm", "Needs premed \"amoxicillin\" 1hr before",
		"Bring X-rays from previous dentist.\r\nInsurance card on file.", "Anxious patient — offer nitrous", "Language: Spanish; interpreter requested",
		"Crown seat; lab case #4471 due Tuesday", "Tab\tseparated\tnote", "Back slash \\ in note", "Très bien, merci",
		"Long note: patient reports sensitivity on the upper left quadrant when drinking cold beverages for about two weeks; evaluate #14 and #15.",
	}
	fieldNames  = []string{"Referral Source", "Allergies", "Preferred Pharmacy", "Emergency Contact", "Insurance Notes", "Portal Username"}
	fieldValues = []string{"Google", "Penicillin", "Walgreens #1120, Salem", "Spouse: (503)555-0199", "", "Verified 2026-10-01", "Latex, \"sulfa\" drugs", "Line one\nline two"}
)
