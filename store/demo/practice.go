package demo

import "time"

// Enum values Open Dental stores as integers (opendental-schema.md §7).
const (
	aptScheduled   = 1
	aptComplete    = 2
	aptUnschedList = 3
	aptBroken      = 5
	aptPlanned     = 6

	priorityNormal = 0
	priorityASAP   = 1

	patStatusPatient     = 0
	patStatusNonPatient  = 1
	patStatusInactive    = 2
	patStatusProspective = 6

	male   = 0
	female = 1

	single   = 0
	married  = 1
	child    = 2
	widowed  = 3
	divorced = 4

	contactNone      = 0
	contactDoNotCall = 1
	contactHmPhone   = 2
	contactWkPhone   = 3
	contactWireless  = 4
	contactEmail     = 5
	contactSeeNotes  = 6
	contactMail      = 7
	contactText      = 8

	ynUnknown = 0
	ynYes     = 1
	ynNo      = 2

	schedPractice = 0
	schedProvider = 1
	schedBlockout = 2

	schedOpen    = 0
	schedHoliday = 2

	fieldText     = 0
	fieldPickList = 1
	fieldDate     = 2
	fieldCheckbox = 3
	fieldCurrency = 4

	toothMissing = 0
	toothHidden  = 1
	toothRotate  = 6

	placeOffice        = 0
	placeCustodialCare = 5
	placeSchool        = 8
)

// Definition rows seeded by store/schema/definitions.sql that the demo refers to.
const (
	confirmNotCalled   = 19
	confirmLeftMsg     = 20
	confirmConfirmed   = 21
	confirmArrived     = 22
	confirmReady       = 23
	confirmUnconfirmed = 24
	confirmInRoom      = 25
	confirmFrontDesk   = 246
	confirmEmailed     = 252
	confirmTexted      = 255
	confirmESent       = 289
	confirmWebSched    = 295

	billingStandard       = 40
	billingPrecollections = 41
	billingCollections    = 42

	unschedCallBack   = 94
	unschedWillCallUs = 95
	unschedLeftMsg    = 97
	unschedMsgFamily  = 98
	unschedNotHome    = 93
	unschedMailed     = 142
	unschedTexted     = 293

	specialtyGeneral   = 263
	specialtyHygienist = 264

	blockLunch        = 1000
	blockStaffMeeting = 1001
	blockEmergency    = 1002
	blockNewPatient   = 1003

	opTypeGeneral = 1010
	opTypeHygiene = 1011
	opTypeSurgery = 1012
)

// Values the demo uses where Open Dental would point at rows of tables odsim does not model.
const (
	// feeSched is the practice's standard fee schedule (the feesched table is not part of odsim's schema).
	feeSched = 53
	// adminUser is the userod row every Open Dental database has, recorded as the one who entered rows.
	adminUser = 1
)

// Open Dental's "empty" date and time values.
const (
	noDate     = "0001-01-01"
	noDateTime = "0001-01-01 00:00:00"
	noTime     = "00:00:00"
)

// argb is a System.Drawing colour as the signed 32-bit ARGB integer Open Dental stores.
func argb(r, g, b uint8) int32 {
	return int32(uint32(0xFF)<<24 | uint32(r)<<16 | uint32(g)<<8 | uint32(b))
}

func dateStr(t time.Time) string     { return t.Format(time.DateOnly) }
func dateTimeStr(t time.Time) string { return t.Format(time.DateTime) }

// Clinic numbers.
const (
	downtown = 1
	lakeside = 2
)

// Provider numbers.
const (
	drMitchell = 1
	drPatel    = 2
	hygGarcia  = 3
	hygNguyen  = 4
)

// Site numbers.
const (
	siteSchool = 1
	siteSenior = 2
)

// opKind says what an operatory is booked for.
type opKind int

const (
	kindGeneral opKind = iota
	kindSurgery
	kindHygiene
)

// operatory is one chair of the appointment book.
type operatory struct {
	num       int64
	name      string
	abbrev    string
	clinic    int64
	dentist   int64
	hygienist int64
	kind      opKind
	opType    int64
	webSched  bool
	newPat    bool
}

// operatories are the practice's six chairs: four at Downtown, two at the smaller Lakeside clinic.
func operatories() []operatory {
	return []operatory{
		{1, "DT Op 1", "DT1", downtown, drMitchell, 0, kindGeneral, opTypeGeneral, true, true},
		{2, "DT Op 2 Surgery", "DT2", downtown, drMitchell, 0, kindSurgery, opTypeSurgery, false, false},
		{3, "DT Hyg 1", "DTH1", downtown, drMitchell, hygGarcia, kindHygiene, opTypeHygiene, true, false},
		{4, "DT Hyg 2", "DTH2", downtown, drMitchell, hygNguyen, kindHygiene, opTypeHygiene, false, false},
		{5, "LS Op 1", "LS1", lakeside, drPatel, 0, kindGeneral, opTypeGeneral, true, true},
		{6, "LS Hyg 1", "LSH1", lakeside, drPatel, hygNguyen, kindHygiene, opTypeHygiene, false, false},
	}
}

func opByNum(num int64) operatory {
	for _, op := range operatories() {
		if op.num == num {
			return op
		}
	}
	return operatory{}
}

func b01(v bool) int {
	if v {
		return 1
	}
	return 0
}

// addPractice adds the clinics, sites, providers and operatories.
func addPractice(d *dataset, anchor time.Time) {
	clinics := d.table("clinic")
	for _, c := range []struct {
		num                                       int64
		desc, abbr, addr, addr2, city, zip, phone string
		prov                                      int64
	}{
		{downtown, "Willow Creek Dental - Downtown", "Downtown", "1200 Maple Ave", "Suite 200", "Springfield", "62704", "2175550100", drMitchell},
		{lakeside, "Willow Creek Dental - Lakeside", "Lakeside", "85 Lakeshore Dr", "", "Chatham", "62629", "2175550160", drPatel},
	} {
		clinics.add(
			col{"ClinicNum", c.num}, col{"Description", c.desc}, col{"Address", c.addr}, col{"Address2", c.addr2},
			col{"City", c.city}, col{"State", "IL"}, col{"Zip", c.zip}, col{"Phone", c.phone}, col{"BankNumber", ""},
			col{"DefaultPlaceService", placeOffice}, col{"InsBillingProv", 0}, col{"Fax", ""}, col{"EmailAddressNum", 0},
			col{"DefaultProv", c.prov}, col{"SmsContractDate", noDateTime}, col{"SmsMonthlyLimit", 0.0},
			col{"IsMedicalOnly", 0}, col{"BillingAddress", ""}, col{"BillingAddress2", ""}, col{"BillingCity", ""},
			col{"BillingState", ""}, col{"BillingZip", ""}, col{"PayToAddress", ""}, col{"PayToAddress2", ""},
			col{"PayToCity", ""}, col{"PayToState", ""}, col{"PayToZip", ""}, col{"UseBillAddrOnClaims", 0},
			col{"Region", 0}, col{"ItemOrder", c.num - 1}, col{"IsInsVerifyExcluded", 0}, col{"Abbr", c.abbr},
			col{"MedLabAccountNum", ""}, col{"IsConfirmEnabled", 1}, col{"IsConfirmDefault", 0},
			col{"IsNewPatApptExcluded", 0}, col{"IsHidden", 0}, col{"ExternalID", 0}, col{"SchedNote", ""},
			col{"HasProcOnRx", 0}, col{"TimeZone", ""}, col{"EmailAliasOverride", ""},
		)
	}

	sites := d.table("site")
	for _, s := range []struct {
		num                         int64
		desc, note, addr, city, zip string
		prov                        int64
		place                       int
	}{
		{siteSchool, "Lincoln Elementary School", "School sealant program, grades 1-5. Visits on the first Tuesday of the month.", "300 School St", "Springfield", "62704", hygGarcia, placeSchool},
		{siteSenior, "Oak Ridge Assisted Living", "Residents who cannot travel are seen on site by Dr. Mitchell.", "1550 Oak Ridge Rd", "Springfield", "62711", drMitchell, placeCustodialCare},
	} {
		sites.add(
			col{"SiteNum", s.num}, col{"Description", s.desc}, col{"Note", s.note}, col{"Address", s.addr},
			col{"Address2", ""}, col{"City", s.city}, col{"State", "IL"}, col{"Zip", s.zip}, col{"ProvNum", s.prov},
			col{"PlaceService", s.place},
		)
	}

	providers := d.table("provider")
	for i, p := range []struct {
		num                           int64
		abbr, last, first, mi, suffix string
		specialty                     int64
		color                         int32
		age                           int
		license, webSched             string
		goal                          float64
	}{
		// Colours are System.Drawing's LightSkyBlue, Plum, PaleGreen and Khaki.
		{drMitchell, "DrMitchell", "Mitchell", "Sarah", "J", "DMD", specialtyGeneral, argb(135, 206, 250), 48, "DEMO-D-1001", "Family dentistry, crowns and implants. Accepting new patients at Downtown.", 450},
		{drPatel, "DrPatel", "Patel", "Raj", "K", "DDS", specialtyGeneral, argb(221, 160, 221), 39, "DEMO-D-1002", "General and cosmetic dentistry at our Lakeside office.", 400},
		{hygGarcia, "HygGarcia", "Garcia", "Maria", "L", "RDH", specialtyHygienist, argb(152, 251, 152), 35, "DEMO-H-2001", "", 160},
		{hygNguyen, "HygNguyen", "Nguyen", "Emily", "", "RDH", specialtyHygienist, argb(240, 230, 140), 29, "DEMO-H-2002", "", 150},
	} {
		hyg := p.specialty == specialtyHygienist
		providers.add(
			col{"ProvNum", p.num}, col{"Abbr", p.abbr}, col{"ItemOrder", i}, col{"LName", p.last}, col{"FName", p.first},
			col{"MI", p.mi}, col{"Suffix", p.suffix}, col{"FeeSched", feeSched}, col{"Specialty", p.specialty},
			col{"SSN", ""}, col{"StateLicense", p.license}, col{"DEANum", ""}, col{"IsSecondary", b01(hyg)},
			col{"ProvColor", p.color}, col{"IsHidden", 0}, col{"UsingTIN", 0}, col{"BlueCrossID", ""},
			col{"SigOnFile", 1}, col{"MedicaidID", ""}, col{"OutlineColor", argb(128, 128, 128)},
			col{"SchoolClassNum", 0}, col{"NationalProvID", ""}, col{"CanadianOfficeNum", ""},
			col{"AnesthProvType", 0}, col{"TaxonomyCodeOverride", ""}, col{"IsCDAnet", 0}, col{"EcwID", ""},
			col{"StateRxID", ""}, col{"IsNotPerson", 0}, col{"StateWhereLicensed", "IL"}, col{"EmailAddressNum", 0},
			col{"IsInstructor", 0}, col{"EhrMuStage", 0}, col{"ProvNumBillingOverride", 0}, col{"CustomID", ""},
			col{"ProvStatus", 0}, col{"IsHiddenReport", 0}, col{"IsErxEnabled", 0},
			col{"Birthdate", dateStr(time.Date(anchor.Year()-p.age, time.Month(3+3*i), 11+4*i, 0, 0, 0, 0, time.UTC))},
			col{"SchedNote", ""}, col{"WebSchedDescript", p.webSched}, col{"WebSchedImageLocation", ""},
			col{"HourlyProdGoalAmt", p.goal}, col{"DateTerm", noDate}, col{"PreferredName", ""},
		)
	}

	ops := d.table("operatory")
	for i, op := range operatories() {
		ops.add(
			col{"OperatoryNum", op.num}, col{"OpName", op.name}, col{"Abbrev", op.abbrev}, col{"ItemOrder", i},
			col{"IsHidden", 0}, col{"ProvDentist", op.dentist}, col{"ProvHygienist", op.hygienist},
			col{"IsHygiene", b01(op.kind == kindHygiene)}, col{"ClinicNum", op.clinic}, col{"SetProspective", 0},
			col{"IsWebSched", b01(op.webSched)}, col{"IsNewPatAppt", b01(op.newPat)}, col{"OperatoryType", op.opType},
		)
	}
}
