package frontdesk

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/odsim/odsim/store"
	"github.com/odsim/odsim/subscriptions"
)

// Kind is how a column's value is written: the SQL type family of the column.
type Kind uint8

// The column kinds of Open Dental's tables.
const (
	Int      Kind = iota // bigint, int, tinyint, smallint: numbers, foreign keys, enums, booleans (0/1)
	Float                // double, float: money
	Text                 // varchar, char, text
	Date                 // date, "yyyy-MM-dd"
	DateTime             // datetime, "yyyy-MM-dd HH:mm:ss"
	Time                 // time, "HH:mm:ss"
	Stamp                // timestamp: set by MySQL only, never written
)

func (k Kind) String() string {
	return [...]string{"integer", "number", "text", "date", "date-time", "time", "timestamp"}[k]
}

// Column is one column of an Open Dental table as an operation may set it.
type Column struct {
	Name       string
	Kind       Kind
	PrimaryKey bool // the AUTO_INCREMENT primary key (column 0)
	// Enum names the values of an enum column by integer (Open Dental stores the integer).
	Enum []string
	// DefCategory, when not zero, says the column holds a definition.DefNum of that category
	// (ApptConfirmed = 2, ...); a definition may be given by its ItemName.
	DefCategory int
	// Ref names the table whose primary key the column holds (patient, provider, operatory, ...).
	Ref string

	nullable bool
	def      string // the DDL's DEFAULT, unquoted; "" when none or NULL
	hasDef   bool
}

// Table is one Open Dental table: its name and columns in DDL order.
type Table struct {
	Name    string
	Columns []Column
}

// Column returns the column named name, compared case-insensitively as MySQL compares column names.
func (t *Table) Column(name string) (*Column, bool) {
	for i := range t.Columns {
		if strings.EqualFold(t.Columns[i].Name, name) {
			return &t.Columns[i], true
		}
	}
	return nil, false
}

// Key is the table's primary key column.
func (t *Table) Key() *Column { return &t.Columns[0] }

// zero is the value a full row carries for a column nobody set: the DDL's default, or Open Dental's
// "empty" value of the column's kind (C# writes "" and 0, never NULL, and 0001-01-01 for dates).
func (c *Column) zero() any {
	if c.hasDef {
		return c.def
	}
	switch c.Kind {
	case Int:
		return 0
	case Float:
		return 0.0
	case Date:
		return "0001-01-01"
	case DateTime:
		return "0001-01-01 00:00:00"
	case Time:
		return "00:00:00"
	}
	return ""
}

// Tables returns the Open Dental tables odsim's operations write, parsed from odsim's schema.
func Tables() []*Table { return schema.list }

// LookupTable returns the table called name.
func LookupTable(name string) (*Table, bool) {
	t, ok := schema.byName[strings.ToLower(name)]
	return t, ok
}

// mustTable is LookupTable for the fixed names of this package's own code.
func mustTable(name string) *Table {
	t, ok := LookupTable(name)
	if !ok {
		panic("frontdesk: no table " + name + " in odsim's schema")
	}
	return t
}

// schema is parsed once from the embedded DDL; it is never changed afterwards.
var schema = parseSchema(store.SchemaSQL())

type tableSet struct {
	list   []*Table
	byName map[string]*Table
}

var (
	createRE = regexp.MustCompile("^CREATE TABLE IF NOT EXISTS `([a-z]+)`")
	columnRE = regexp.MustCompile("^`([A-Za-z0-9_]+)` ([a-z]+)(?:\\([0-9,]+\\))?( unsigned)? (NOT NULL|NULL)(?: DEFAULT ('[^']*'|[A-Z_]+|-?[0-9.]+))?")
)

// parseSchema reads column names, types and defaults from odsim's DDL, which is regular: one column
// per line, each as `Name` type [unsigned] NULL|NOT NULL [DEFAULT x] [extra].
func parseSchema(ddl string) tableSet {
	set := tableSet{byName: map[string]*Table{}}
	var cur *Table
	for _, line := range strings.Split(ddl, "\n") {
		line = strings.TrimSpace(line)
		if m := createRE.FindStringSubmatch(line); m != nil {
			cur = &Table{Name: m[1]}
			set.list = append(set.list, cur)
			set.byName[cur.Name] = cur
			continue
		}
		if cur == nil {
			continue
		}
		if strings.HasPrefix(line, ")") {
			cur = nil
			continue
		}
		m := columnRE.FindStringSubmatch(line)
		if m == nil {
			continue // keys
		}
		c := Column{Name: m[1], Kind: sqlKind(m[2]), nullable: m[4] == "NULL"}
		if d := m[5]; d != "" && d != "NULL" && d != "CURRENT_TIMESTAMP" {
			c.def, c.hasDef = strings.Trim(d, "'"), true
		}
		c.PrimaryKey = len(cur.Columns) == 0 && strings.Contains(line, "AUTO_INCREMENT")
		cur.Columns = append(cur.Columns, c)
	}
	sem := buildSemantics()
	for _, t := range set.list {
		sem.annotate(t)
	}
	return set
}

func sqlKind(typ string) Kind {
	switch typ {
	case "bigint", "int", "tinyint", "smallint", "mediumint":
		return Int
	case "double", "float", "decimal":
		return Float
	case "date":
		return Date
	case "datetime":
		return DateTime
	case "time":
		return Time
	case "timestamp":
		return Stamp
	}
	return Text
}

// Definition categories (DefCat) the operations resolve names in.
const (
	DefApptConfirmed       = 2
	DefBillingTypes        = 4
	DefRecallUnschedStatus = 13
	DefBlockoutTypes       = 25
	DefProviderSpecialties = 35
	DefOperatoryTypes      = 55
)

// Enums Open Dental's payloads do not show, so that package store has no list of them
// (opendental-schema.md §7).
var (
	schedStatus      = []string{"Open", "Closed", "Holiday"}
	treatmentUrgency = []string{"Unknown", "NoProblems", "NeedsCare", "Urgent"}
)

// payloadEnum returns the enum names the payload of w shows for key, from store's field tables.
func payloadEnum(w subscriptions.WatchTable, key string) []string {
	for _, f := range store.PayloadFields(w) {
		if f.Key == key {
			return f.Names
		}
	}
	return nil
}

// semantics says what the integer columns mean: enum names, definition categories and foreign keys.
// Enum names come from the payload field tables of package store where a payload shows the column, so
// that a name in a scenario is exactly the name an event shows.
type semantics struct {
	enums map[string][]string // "table.Column" -> names
	defs  map[string]int      // "table.Column" -> DefCat
	refs  map[string]string   // "table.Column" -> table
}

func buildSemantics() semantics {
	s := semantics{enums: map[string][]string{}, defs: map[string]int{}, refs: map[string]string{}}
	fromPayload := func(table string, w subscriptions.WatchTable, keys ...string) {
		for _, k := range keys {
			s.enums[table+"."+k] = payloadEnum(w, k)
		}
	}
	fromPayload("appointment", subscriptions.Appointment, "AptStatus", "Priority")
	fromPayload("patient", subscriptions.Patient, "PatStatus", "Gender", "Position", "PreferConfirmMethod",
		"PreferContactMethod", "PreferRecallMethod", "TxtMsgOk")
	fromPayload("schedule", subscriptions.Schedule, "SchedType")
	fromPayload("provider", subscriptions.Provider, "ProvStatus")
	fromPayload("histappointment", subscriptions.AppointmentDeleted, "HistApptAction")
	s.enums["patient.PreferContactConfidential"] = s.enums["patient.PreferContactMethod"]
	s.enums["patient.Urgency"] = treatmentUrgency
	s.enums["schedule.Status"] = schedStatus

	for k, v := range map[string]int{
		"appointment.Confirmed":     DefApptConfirmed,
		"appointment.UnschedStatus": DefRecallUnschedStatus,
		"patient.BillingType":       DefBillingTypes,
		"schedule.BlockoutType":     DefBlockoutTypes,
		"provider.Specialty":        DefProviderSpecialties,
		"operatory.OperatoryType":   DefOperatoryTypes,
	} {
		s.defs[k] = v
	}
	for k, v := range map[string]string{
		"appointment.PatNum":              "patient",
		"appointment.Op":                  "operatory",
		"appointment.ProvNum":             "provider",
		"appointment.ProvHyg":             "provider",
		"appointment.NextAptNum":          "appointment",
		"appointment.ClinicNum":           "clinic",
		"patient.Guarantor":               "patient",
		"patient.PriProv":                 "provider",
		"patient.SecProv":                 "provider",
		"patient.ClinicNum":               "clinic",
		"patient.SiteNum":                 "site",
		"patient.ResponsParty":            "patient",
		"patient.SuperFamily":             "patient",
		"patfield.PatNum":                 "patient",
		"operatory.ProvDentist":           "provider",
		"operatory.ProvHygienist":         "provider",
		"operatory.ClinicNum":             "clinic",
		"schedule.ProvNum":                "provider",
		"schedule.ClinicNum":              "clinic",
		"scheduleop.ScheduleNum":          "schedule",
		"scheduleop.OperatoryNum":         "operatory",
		"toothinitial.PatNum":             "patient",
		"provider.ProvNumBillingOverride": "provider",
	} {
		s.refs[k] = v
	}
	return s
}

func (sem semantics) annotate(t *Table) {
	for i := range t.Columns {
		c := &t.Columns[i]
		k := t.Name + "." + c.Name
		c.Enum = sem.enums[k]
		c.DefCategory = sem.defs[k]
		c.Ref = sem.refs[k]
	}
}

// EnumValue returns the integer of an enum column's value name, compared case-insensitively.
func (c *Column) EnumValue(name string) (int, error) {
	for i, n := range c.Enum {
		if strings.EqualFold(n, name) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s: %q is not one of %s", c.Name, name, strings.Join(c.Enum, ", "))
}
