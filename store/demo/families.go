package demo

import (
	"fmt"
	"strings"
	"time"
)

// member is one person of a family as the demo describes it; the rest of the patient row is generated.
type member struct {
	first, middle, pref string
	gender, pos, age    int

	status   int    // PatStatus; zero is Patient
	billing  int64  // BillingType; zero is Standard Account
	balance  int    // fixed account balance in cents, for the bad-debt accounts
	lang     string // ISO 639-2 code, as Open Dental stores Language
	premed   bool
	medNote  string
	addrNote string
	contact  int         // PreferContactMethod when it must not be generated
	np       *firstVisit // the new-patient appointment of a patient who has not been seen before
}

// firstVisit places a new patient's first appointment in the two weeks: day is the offset from the
// anchor Monday, at hour:min in operatory op.
type firstVisit struct {
	day       int
	op        int64
	hour, min int
	webSched  bool
}

// family is a household: the first member is the guarantor.
type family struct {
	last    string
	clinic  int64
	members []member
}

// families lists the practice's sixty patients: 41 at Downtown, 19 at Lakeside. Names are invented.
func families() []family {
	return []family{
		{"Anderson", downtown, []member{
			{first: "James", middle: "R", pref: "Jim", gender: male, pos: married, age: 46},
			{first: "Linda", middle: "M", gender: female, pos: married, age: 44},
			{first: "Ethan", gender: male, pos: child, age: 15},
			{first: "Sophie", gender: female, pos: child, age: 11},
		}},
		{"Brooks", downtown, []member{
			{first: "Maria", middle: "E", gender: female, pos: divorced, age: 38},
			{first: "Tyler", gender: male, pos: child, age: 9},
			{first: "Ava", gender: female, pos: child, age: 6},
		}},
		{"Chen", downtown, []member{
			{first: "David", middle: "W", gender: male, pos: married, age: 52},
			{first: "Grace", gender: female, pos: married, age: 50, medNote: "Latex allergy"},
		}},
		{"Evans", downtown, []member{
			{first: "Walter", middle: "H", pref: "Walt", gender: male, pos: widowed, age: 81, medNote: "Takes warfarin; check INR before extractions"},
		}},
		{"Foster", downtown, []member{
			{first: "Brian", gender: male, pos: married, age: 35},
			{first: "Jessica", middle: "A", gender: female, pos: married, age: 33},
			{first: "Liam", gender: male, pos: child, age: 4},
		}},
		{"Greene", downtown, []member{
			{first: "Nathan", gender: male, pos: single, age: 27, status: patStatusInactive, billing: billingCollections, balance: 84200,
				addrNote: "Moved out of state; mail returned"},
		}},
		{"Hoffman", downtown, []member{
			{first: "Karen", middle: "S", gender: female, pos: divorced, age: 55, contact: contactSeeNotes,
				addrNote: "Works nights: call only after 3 pm"},
			{first: "Kyle", gender: male, pos: single, age: 22},
		}},
		{"Jackson", downtown, []member{
			{first: "Marcus", middle: "D", gender: male, pos: married, age: 48},
			{first: "Tanya", gender: female, pos: married, age: 45},
			{first: "Jordan", gender: male, pos: child, age: 17},
			{first: "Kayla", gender: female, pos: child, age: 13},
		}},
		{"Kim", downtown, []member{
			{first: "Daniel", gender: male, pos: single, age: 31, status: patStatusProspective,
				np: &firstVisit{day: 10, op: 1, hour: 14, min: 0, webSched: true}},
		}},
		{"Lopez", downtown, []member{
			{first: "Ana", middle: "C", gender: female, pos: single, age: 29},
		}},
		{"O'Brien", downtown, []member{
			{first: "Sean", middle: "P", gender: male, pos: married, age: 37},
			{first: "Katherine", pref: "Katie", gender: female, pos: married, age: 36},
			{first: "Aiden", gender: male, pos: child, age: 7},
			{first: "Nora", gender: female, pos: child, age: 5},
			{first: "Finn", gender: male, pos: child, age: 2},
		}},
		{"Robinson", downtown, []member{
			{first: "Gloria", middle: "J", gender: female, pos: widowed, age: 84, premed: true,
				medNote: "Premed: amoxicillin 2 g one hour before (hip replacement)"},
		}},
		{"Sullivan", downtown, []member{
			{first: "Michael", middle: "T", pref: "Mike", gender: male, pos: divorced, age: 50, billing: billingPrecollections, balance: 31850},
		}},
		{"Thompson", downtown, []member{
			{first: "Gregory", pref: "Greg", gender: male, pos: married, age: 42},
			{first: "Rachel", middle: "L", gender: female, pos: married, age: 40},
			{first: "Emma", gender: female, pos: child, age: 14},
			{first: "Noah", gender: male, pos: child, age: 12},
		}},
		{"Young", downtown, []member{
			{first: "Steven", gender: male, pos: divorced, age: 45, status: patStatusNonPatient},
			{first: "Chloe", gender: female, pos: child, age: 13},
			{first: "Owen", gender: male, pos: child, age: 10},
		}},
		{"Zimmerman", downtown, []member{
			{first: "Heidi", gender: female, pos: married, age: 58},
			{first: "Carl", middle: "F", gender: male, pos: married, age: 60, status: patStatusInactive},
		}},
		{"Bennett", downtown, []member{
			{first: "Olivia", middle: "R", gender: female, pos: single, age: 26,
				np: &firstVisit{day: 1, op: 1, hour: 9, min: 0}},
		}},
		{"Ward", downtown, []member{
			{first: "Harold", middle: "E", gender: male, pos: married, age: 72, premed: true,
				medNote: "Premed: amoxicillin 2 g one hour before (knee replacement)"},
			{first: "Elizabeth", pref: "Betty", gender: female, pos: married, age: 70},
		}},
		{"Delgado", lakeside, []member{
			{first: "Roberto", gender: male, pos: married, age: 41},
			{first: "Carmen", middle: "I", gender: female, pos: married, age: 39, lang: "spa"},
			{first: "Lucia", gender: female, pos: child, age: 12},
			{first: "Mateo", gender: male, pos: child, age: 8},
			{first: "Rosa", gender: female, pos: widowed, age: 71, lang: "spa"},
		}},
		{"Tran", lakeside, []member{
			{first: "Minh", gender: male, pos: married, age: 44},
			{first: "Lan", gender: female, pos: married, age: 42, lang: "vie"},
			{first: "Bao", gender: male, pos: child, age: 10},
		}},
		{"Castillo", lakeside, []member{
			{first: "Jorge", middle: "A", gender: male, pos: married, age: 33},
			{first: "Elena", gender: female, pos: married, age: 31, lang: "spa"},
			{first: "Sofia", gender: female, pos: child, age: 3},
		}},
		{"Shah", lakeside, []member{
			{first: "Arjun", gender: male, pos: married, age: 36},
			{first: "Priya", middle: "N", gender: female, pos: married, age: 34},
		}},
		{"Harper", lakeside, []member{
			{first: "Lisa", middle: "K", gender: female, pos: single, age: 30,
				np: &firstVisit{day: 9, op: 5, hour: 10, min: 0}},
		}},
		{"Murphy", lakeside, []member{
			{first: "Patrick", middle: "J", pref: "Pat", gender: male, pos: married, age: 63},
			{first: "Eileen", gender: female, pos: married, age: 61},
		}},
		{"Ellis", lakeside, []member{
			{first: "Frank", gender: male, pos: married, age: 54},
			{first: "Diane", middle: "M", gender: female, pos: married, age: 53},
		}},
		{"Walker", lakeside, []member{
			{first: "Derek", gender: male, pos: single, age: 24, contact: contactDoNotCall},
		}},
	}
}

// patient is what the appointment book needs to know of a generated patient.
type patient struct {
	num        int64
	guarantor  int64
	first      string
	last       string
	age        int
	clinic     int64
	status     int
	pos        int
	phone      string // the number a relative would give for the patient
	confirmVia int
	premed     bool
	np         *firstVisit
	entered    time.Time // SecDateEntry
}

func (p patient) name() string { return p.first + " " + p.last }

// bookable reports whether the patient gets ordinary appointments (new patients get only their first visit).
func (p patient) bookable() bool { return p.status == patStatusPatient && p.np == nil }

// addPatients adds the patients, their custom fields and a few tooth initials, and returns the
// patients for the appointment book.
func addPatients(d *dataset, anchor time.Time) []patient {
	r := newRNG(0x0d5ea11d)
	streets := []string{
		"Maple Ave", "Oak St", "Walnut St", "Cedar Ln", "Elm St", "Lincoln Ave", "Washington St", "Park Ave",
		"Chestnut St", "Spring St", "Meadow Ln", "Hillcrest Dr", "Sunset Blvd", "Prairie Rd", "Willow Way",
		"Church St", "Birch Ct", "Jefferson St", "Monroe St", "Lakeview Dr",
	}
	phones := newPhoneBook()
	asOf := anchor.AddDate(0, 0, 2)
	var out []patient
	patients := d.table("patient")
	var rows [][]col
	var num int64
	for _, fam := range families() {
		guar := num + 1
		// The household's address, home phone and how long it has been with the practice.
		city, famZip := "Springfield", pick(r, []string{"62702", "62703", "62704", "62711"})
		if fam.clinic == lakeside {
			city, famZip = "Chatham", "62629"
		}
		famAddress, famAddress2 := fmt.Sprintf("%d %s", r.between(101, 4899), pick(r, streets)), ""
		if r.chance(15) {
			famAddress2 = fmt.Sprintf("Apt %d%c", r.between(1, 4), 'A'+rune(r.intn(4)))
		}
		homePhone := ""
		if r.chance(65) || fam.members[0].age >= 70 {
			homePhone = phones.next("217")
		}
		tenure := r.between(200, 4200)
		famRows := make([]int, 0, len(fam.members))
		var famBalance, famInsEst int
		for _, m := range fam.members {
			num++
			birth := time.Date(anchor.Year()-m.age, time.Month(r.between(1, 12)), r.between(1, 28), 0, 0, 0, 0, time.UTC)
			if birth.AddDate(m.age, 0, 0).After(anchor) {
				birth = birth.AddDate(-1, 0, 0) // keep the stated age on the anchor date
			}
			adult := m.age >= 18

			// Dates with the practice: the household joined together; a child born later joined at two.
			entered := anchor.AddDate(0, 0, -tenure)
			if twoYearsOld := birth.AddDate(2, 0, 0); twoYearsOld.After(entered) {
				entered = twoYearsOld.AddDate(0, 0, r.between(0, 60))
			}
			firstVisit := entered.AddDate(0, 0, r.between(0, 21))
			if m.np != nil {
				npDay := anchor.AddDate(0, 0, m.np.day)
				entered = npDay.AddDate(0, 0, -r.between(4, 12))
				firstVisit = time.Time{}
				if npDay.Before(asOf) {
					firstVisit = npDay
				}
			}
			if m.status == patStatusNonPatient {
				firstVisit = time.Time{}
			}
			if !firstVisit.Before(asOf) {
				firstVisit = time.Time{}
			}

			// Phones, e-mail and how the patient wants to be reached.
			wireless, work, email := "", "", ""
			if (adult && m.age < 80 && r.chance(92)) || (m.age >= 15 && !adult && r.chance(50)) {
				wireless = phones.next("217")
			}
			if adult && m.age < 65 && m.status != patStatusInactive && r.chance(35) {
				work = phones.next("309")
			}
			if (adult && m.age < 78 && r.chance(85)) || (m.age >= 16 && !adult && r.chance(40)) {
				email = emailAddress(r, m.first, fam.last, num)
			}
			confirm, contact, recall, txt := contactNone, contactNone, contactNone, ynUnknown
			switch {
			case !adult:
			case m.age >= 70 || wireless == "":
				confirm, contact, recall, txt = contactHmPhone, contactHmPhone, contactMail, ynNo
				if email != "" {
					recall = contactEmail
				}
				if homePhone == "" && wireless != "" {
					confirm, contact = contactWireless, contactWireless
				}
			default:
				confirm = pickWeighted(r, []weighted[int]{{50, contactText}, {25, contactEmail}, {20, contactWireless}, {5, contactHmPhone}})
				if confirm == contactEmail && email == "" {
					confirm = contactText
				}
				if confirm == contactHmPhone && homePhone == "" {
					confirm = contactWireless
				}
				contact = pickWeighted(r, []weighted[int]{{60, contactWireless}, {25, contactText}, {15, contactEmail}})
				if contact == contactEmail && email == "" {
					contact = contactWireless
				}
				recall = pickWeighted(r, []weighted[int]{{40, contactText}, {40, contactEmail}, {20, contactMail}})
				if recall == contactEmail && email == "" {
					recall = contactMail
				}
				txt = ynYes
				if confirm != contactText && contact != contactText && recall != contactText && r.chance(40) {
					txt = ynNo
				}
			}
			if m.contact != contactNone {
				contact = m.contact
			}

			// Account: most patients owe nothing; the bad-debt accounts owe a fixed sum.
			balance, insEst := 0, 0
			if m.balance > 0 {
				balance = m.balance
			} else if m.status == patStatusPatient && r.chance(40) {
				balance = r.between(8, 240) * 250
				if r.chance(50) {
					insEst = balance * r.between(3, 6) / 10 / 50 * 50
				}
			}
			famBalance += balance
			famInsEst += insEst

			clinic := fam.clinic
			priProv, secProv := int64(drMitchell), int64(hygGarcia)
			if clinic == lakeside {
				priProv, secProv = drPatel, hygNguyen
			}
			if r.chance(20) {
				secProv = 0
			}
			site, address, address2, zip := int64(0), famAddress, famAddress2, famZip
			switch {
			case fam.clinic == downtown && m.pos == child && m.age >= 5 && m.age <= 11:
				site = siteSchool
			case m.age >= 75 && m.pos == widowed:
				site = siteSenior
				address, address2, zip = "1550 Oak Ridge Rd", fmt.Sprintf("Apt %d", r.between(101, 240)), "62711"
			}
			ssn := ""
			if adult && r.chance(60) {
				ssn = fmt.Sprintf("9%08d", r.intn(100000000))
			}
			grade := 0
			switch {
			case m.age == 5:
				grade = 15 // Kindergarten
			case m.age >= 6 && m.age <= 17:
				grade = m.age - 5
			}
			student, school := "", ""
			if m.age >= 18 && m.age <= 23 {
				student, school = "F", "University of Illinois Springfield"
			}
			askEarly := 0
			if m.np != nil {
				askEarly = 15
			}

			rows = append(rows, []col{
				{"PatNum", num}, {"LName", fam.last}, {"FName", m.first}, {"MiddleI", m.middle}, {"Preferred", m.pref},
				{"PatStatus", m.status}, {"Gender", m.gender}, {"Position", m.pos}, {"Birthdate", dateStr(birth)},
				{"SSN", ssn}, {"Address", address}, {"Address2", address2}, {"City", city}, {"State", "IL"}, {"Zip", zip},
				{"HmPhone", homePhone}, {"WkPhone", work}, {"WirelessPhone", wireless}, {"Guarantor", guar},
				{"CreditType", ""}, {"Email", email}, {"Salutation", ""}, {"EstBalance", cents(balance - insEst)},
				{"PriProv", priProv}, {"SecProv", secProv}, {"FeeSched", 0}, {"BillingType", billingType(fam.members[0].billing)},
				{"ImageFolder", imageFolder(fam.last, m.first, num)}, {"AddrNote", m.addrNote}, {"FamFinUrgNote", ""},
				{"MedUrgNote", m.medNote}, {"ApptModNote", ""}, {"StudentStatus", student}, {"SchoolName", school},
				{"ChartNumber", fmt.Sprintf("WC%04d", 1000+num)}, {"MedicaidID", ""},
				// Family aging goes on the guarantor's row below; everyone else's stays zero.
				{"Bal_0_30", 0.0}, {"Bal_31_60", 0.0}, {"Bal_61_90", 0.0}, {"BalOver90", 0.0}, {"InsEst", 0.0}, {"BalTotal", 0.0},
				{"EmployerNum", 0}, {"EmploymentNote", ""}, {"County", ""}, {"GradeLevel", grade}, {"Urgency", 0},
				{"DateFirstVisit", dateOrNone(firstVisit)}, {"ClinicNum", clinic}, {"HasIns", ""}, {"TrophyFolder", ""},
				{"PlannedIsDone", 0}, {"Premed", b01(m.premed)}, {"Ward", ""},
				{"PreferConfirmMethod", confirm}, {"PreferContactMethod", contact}, {"PreferRecallMethod", recall},
				{"SchedBeforeTime", noTime}, {"SchedAfterTime", noTime}, {"SchedDayOfWeek", 0}, {"Language", m.lang},
				{"AdmitDate", noDate}, {"Title", ""}, {"PayPlanDue", 0.0}, {"SiteNum", site}, {"ResponsParty", 0},
				{"CanadianEligibilityCode", 0}, {"AskToArriveEarly", askEarly}, {"PreferContactConfidential", 0},
				{"SuperFamily", 0}, {"TxtMsgOk", txt}, {"SmokingSnoMed", ""}, {"Country", ""},
				{"DateTimeDeceased", noDateTime}, {"BillingCycleDay", 1}, {"SecUserNumEntry", adminUser},
				{"SecDateEntry", dateStr(entered)}, {"HasSuperBilling", 0}, {"PatNumCloneFrom", 0},
				{"DiscountPlanNum", 0}, {"HasSignedTil", 0}, {"ShortCodeOptIn", 0}, {"SecurityHash", ""},
			})
			famRows = append(famRows, len(rows)-1)
			out = append(out, patient{
				num: num, guarantor: guar, first: m.first, last: fam.last, age: m.age, clinic: clinic,
				status: m.status, pos: m.pos, confirmVia: confirm, premed: m.premed, np: m.np, entered: entered,
				phone: firstNonEmpty(wireless, homePhone),
			})
		}
		// The guarantor carries the family's aging: current unless the account went to bad debt.
		g := rows[famRows[0]]
		setCol(g, "BalTotal", cents(famBalance))
		setCol(g, "InsEst", cents(famInsEst))
		if fam.members[0].billing != 0 {
			setCol(g, "BalOver90", cents(famBalance))
		} else {
			setCol(g, "Bal_0_30", cents(famBalance))
		}
	}
	for _, row := range rows {
		patients.add(row...)
	}
	addPatFields(d, r, phones, anchor, out)
	addToothInitials(d, anchor, out)
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func setCol(row []col, name string, val any) {
	for i := range row {
		if row[i].name == name {
			row[i].val = val
			return
		}
	}
}

func billingType(b int64) int64 {
	if b == 0 {
		return billingStandard
	}
	return b
}

func cents(c int) float64 { return float64(c) / 100 }

func dateOrNone(t time.Time) string {
	if t.IsZero() {
		return noDate
	}
	return dateStr(t)
}

// imageFolder is the folder name Open Dental derives for a patient's images: last and first name, letters
// only, then the PatNum.
func imageFolder(last, first string, num int64) string {
	letters := func(s string) string {
		return strings.Map(func(c rune) rune {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
				return c
			}
			return -1
		}, s)
	}
	return fmt.Sprintf("%s%s%d", letters(last), letters(first), num)
}

// emailAddress gives a patient an address at one of the domains reserved for examples (RFC 2606), so
// that no demo e-mail can reach a real person.
func emailAddress(r *rng, first, last string, num int64) string {
	clean := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "'", "")) }
	domain := pick(r, []string{"example.com", "example.net", "example.org"})
	switch r.intn(3) {
	case 0:
		return fmt.Sprintf("%s.%s@%s", clean(first), clean(last), domain)
	case 1:
		return fmt.Sprintf("%s%s%d@%s", clean(first)[:1], clean(last), num, domain)
	default:
		return fmt.Sprintf("%s_%s@%s", clean(first), clean(last), domain)
	}
}

// phoneBook hands out numbers from the 555-0100..0199 block, which US numbering reserves for fiction,
// in Open Dental's display format (217)555-0123.
type phoneBook struct{ next555 map[string]int }

func newPhoneBook() *phoneBook { return &phoneBook{next555: map[string]int{}} }

func (p *phoneBook) next(area string) string {
	n := p.next555[area]
	if n == 0 {
		n = 110 // 0100..0109 are the clinics'
	}
	p.next555[area] = n + 1
	return fmt.Sprintf("(%s)555-%04d", area, n)
}

// Patient field definitions, one of each kind Open Dental offers plus a hidden, retired one.
const (
	fieldReferral  = "Referral Source"
	fieldEmergency = "Emergency Contact"
	fieldConsent   = "Consent on file"
	fieldInsVerify = "Last Insurance Verify"
	fieldCopay     = "Copay Estimate"
	fieldOldChart  = "Old Chart Number"
)

// addPatFields adds the patient field definitions, the referral pick-list and the values of many patients.
// FieldValue follows the field's type: free text, the pick item's name, a yyyy-MM-dd date, "1" for a checked
// box (an unchecked box has no row) and an amount with two decimals.
func addPatFields(d *dataset, r *rng, phones *phoneBook, anchor time.Time, pats []patient) {
	defs := d.table("patfielddef")
	for i, f := range []struct {
		name   string
		typ    int
		hidden bool
	}{
		{fieldReferral, fieldPickList, false}, {fieldEmergency, fieldText, false}, {fieldConsent, fieldCheckbox, false},
		{fieldInsVerify, fieldDate, false}, {fieldCopay, fieldCurrency, false}, {fieldOldChart, fieldText, true},
	} {
		// PickList stays empty: since 24.1 the items live in patfieldpickitem.
		defs.add(col{"PatFieldDefNum", i + 1}, col{"FieldName", f.name}, col{"FieldType", f.typ}, col{"PickList", ""},
			col{"ItemOrder", i}, col{"IsHidden", b01(f.hidden)})
	}
	referrals := []struct {
		name, abbr string
		hidden     bool
	}{
		{"Google Search", "Google", false}, {"Friend or Family", "Friend", false}, {"Insurance Directory", "InsDir", false},
		{"Drive-by Signage", "Sign", false}, {"Facebook", "FB", false}, {"Other", "Other", false}, {"Yellow Pages", "YP", true},
	}
	items := d.table("patfieldpickitem")
	for i, it := range referrals {
		items.add(col{"PatFieldPickItemNum", i + 1}, col{"PatFieldDefNum", 1}, col{"Name", it.name},
			col{"Abbreviation", it.abbr}, col{"IsHidden", b01(it.hidden)}, col{"ItemOrder", i})
	}

	women := []string{"Carol", "Susan", "Nancy", "Joyce", "Helen", "Julie", "Teresa", "Denise"}
	men := []string{"Paul", "Mark", "Gary", "Dennis", "Roger", "Keith", "Victor", "Wayne"}
	otherLast := []string{"Becker", "Coleman", "Dunn", "Fischer", "Holt", "Keller", "Lambert", "Porter"}
	spouse := func(p patient) (patient, bool) {
		for _, q := range pats {
			if q.guarantor == p.guarantor && q.num != p.num && p.pos == married && q.pos == married && q.phone != "" {
				return q, true
			}
		}
		return patient{}, false
	}
	asOf := anchor.AddDate(0, 0, 2)
	fields := d.table("patfield")
	var num int64
	add := func(p patient, name, value string, entered time.Time) {
		num++
		if entered.After(asOf) {
			entered = asOf
		}
		fields.add(col{"PatFieldNum", num}, col{"PatNum", p.num}, col{"FieldName", name}, col{"FieldValue", value},
			col{"SecUserNumEntry", adminUser}, col{"SecDateEntry", dateStr(entered)})
	}
	for _, p := range pats {
		guarantor := p.num == p.guarantor
		if guarantor && r.chance(80) {
			add(p, fieldReferral, pickWeighted(r, []weighted[string]{
				{30, "Google Search"}, {30, "Friend or Family"}, {15, "Insurance Directory"}, {10, "Drive-by Signage"},
				{8, "Facebook"}, {4, "Other"}, {3, "Yellow Pages"},
			}), p.entered)
		}
		if p.age >= 18 && r.chance(65) {
			var contact string
			if s, ok := spouse(p); ok {
				contact = fmt.Sprintf("%s (spouse) %s", s.name(), s.phone)
			} else {
				first, last := pick(r, women), p.last
				relation := pick(r, []string{"mother", "father", "sister", "brother", "daughter", "son", "friend"})
				switch relation {
				case "father", "brother", "son":
					first = pick(r, men)
				case "friend":
					last = pick(r, otherLast)
				}
				contact = fmt.Sprintf("%s %s (%s) %s", first, last, relation, phones.next("618"))
			}
			add(p, fieldEmergency, contact, p.entered.AddDate(0, 0, r.between(0, 30)))
		}
		if p.status != patStatusNonPatient && r.chance(70) {
			add(p, fieldConsent, "1", p.entered.AddDate(0, 0, r.between(0, 10)))
		}
		if guarantor && p.status == patStatusPatient && r.chance(60) {
			verified := anchor.AddDate(0, 0, -r.between(3, 120))
			if verified.Before(p.entered) {
				verified = p.entered
			}
			add(p, fieldInsVerify, dateStr(verified), verified)
		}
		if p.status == patStatusPatient && r.chance(25) {
			add(p, fieldCopay, pick(r, []string{"15.00", "20.00", "25.00", "35.00", "40.00", "50.00", "62.50"}), p.entered.AddDate(0, 0, r.between(0, 60)))
		}
		if guarantor && anchor.Sub(p.entered) > 3000*24*time.Hour {
			add(p, fieldOldChart, fmt.Sprintf("OC-%03d", r.between(100, 999)), p.entered)
		}
	}
}

// addToothInitials marks a few charts: extracted and impacted teeth and one rotated incisor.
func addToothInitials(d *dataset, anchor time.Time, pats []patient) {
	byName := map[string]patient{}
	for _, p := range pats {
		byName[p.name()] = p
	}
	t := d.table("toothinitial")
	var num int64
	for _, c := range []struct {
		who      string
		typ      int
		teeth    []string
		movement float64
		daysAgo  int
	}{
		{"Walter Evans", toothMissing, []string{"2", "15"}, 0, 2100},
		{"Patrick Murphy", toothMissing, []string{"1", "16", "17", "32", "30"}, 0, 1500},
		{"Harold Ward", toothMissing, []string{"3", "14", "19", "30", "31"}, 0, 900},
		{"Kyle Hoffman", toothHidden, []string{"1", "16", "17", "32"}, 0, 420},
		{"Emma Thompson", toothRotate, []string{"8"}, 15, 200},
	} {
		p, ok := byName[c.who]
		if !ok {
			continue
		}
		entered := anchor.AddDate(0, 0, -c.daysAgo).Add(10*time.Hour + 20*time.Minute)
		for _, tooth := range c.teeth {
			num++
			t.add(col{"ToothInitialNum", num}, col{"PatNum", p.num}, col{"ToothNum", tooth}, col{"InitialType", c.typ},
				col{"Movement", c.movement}, col{"DrawingSegment", ""}, col{"ColorDraw", 0},
				col{"SecDateTEntry", dateTimeStr(entered)}, col{"DrawText", ""})
		}
	}
}
