package store

import (
	"github.com/odsim/odsim/payload"
	"github.com/odsim/odsim/subscriptions"
)

// column is one payload field and the SQL expression that reads it. The expressions name only the fixed
// tables and aliases of this file; nothing from a request ever reaches them.
type column struct {
	payload.Field
	expr string
}

// watched is how one WatchTable is polled: the table (with the joins its derived fields need), the
// watch column, an extra filter, and the ordered payload fields. The same list builds the SELECT and
// drives the encoder, so field order and formats live here and nowhere else.
type watched struct {
	table   subscriptions.WatchTable
	from    string
	watch   string // the change-tracking TIMESTAMP column the window is on
	filter  string // extra WHERE condition, or ""
	columns []column
}

// Open Dental's enums, by integer value (store/opendental-schema §7).
var (
	apptStatus     = []string{"None", "Scheduled", "Complete", "UnschedList", "ASAP", "Broken", "Planned", "PtNote", "PtNoteCompleted"}
	apptPriority   = []string{"Normal", "ASAP"}
	patientStatus  = []string{"Patient", "NonPatient", "Inactive", "Archived", "Deleted", "Deceased", "Prospective"}
	patientGender  = []string{"Male", "Female", "Unknown", "Other"}
	patientPos     = []string{"Single", "Married", "Child", "Widowed", "Divorced"}
	contactMethod  = []string{"None", "DoNotCall", "HmPhone", "WkPhone", "WirelessPh", "Email", "SeeNotes", "Mail", "TextMessage"}
	yn             = []string{"Unknown", "Yes", "No"}
	scheduleType   = []string{"Practice", "Provider", "Blockout", "Employee", "WebSchedASAP"}
	histApptAction = []string{"Created", "Changed", "Missed", "Cancelled", "Deleted"}
	eServiceTypes  = []string{"None", "EConnector", "Broadcaster", "BroadcastMonitor", "ServiceMainHQ", "OpenDentalService", "OpenDentalAPIService"}
	providerStatus = []string{"Active", "Deleted"}
	toothInitial   = []string{"Missing", "Hidden", "Primary", "ShiftM", "ShiftO", "ShiftB", "Rotate", "TipM", "TipB", "Drawing", "Text"}
)

// Definition categories (DefCat) whose names payloads show.
const (
	defApptConfirmed       = "2"
	defBillingTypes        = "4"
	defRecallUnschedStatus = "13"
	defBlockoutTypes       = "25"
	defOperatoryTypes      = "55"
)

func col(key string, kind payload.Kind, expr string) column {
	return column{Field: payload.Field{Key: key, Kind: kind}, expr: expr}
}

func enum(key string, names []string, expr string) column {
	return column{Field: payload.Field{Key: key, Kind: payload.Enum, Names: names}, expr: expr}
}

// appointmentColumns are the keys of an Appointment event element (EV-E example order) read from
// alias a, which is appointment or histappointment; dc, du and p are its confirmation definition,
// unscheduled-status definition and provider.
func appointmentColumns() []column {
	return []column{
		col("AptNum", payload.Int, "a.AptNum"),
		col("PatNum", payload.Int, "a.PatNum"),
		enum("AptStatus", apptStatus, "a.AptStatus"),
		col("Pattern", payload.String, "a.Pattern"),
		col("Confirmed", payload.Int, "a.Confirmed"),
		col("confirmed", payload.String, "dc.ItemName"),
		col("TimeLocked", payload.Bool, "a.TimeLocked"),
		col("Op", payload.Int, "a.Op"),
		col("Note", payload.String, "a.Note"),
		col("ProvNum", payload.Int, "a.ProvNum"),
		col("provAbbr", payload.String, "p.Abbr"),
		col("ProvHyg", payload.Int, "a.ProvHyg"),
		col("AptDateTime", payload.DateTime, "a.AptDateTime"),
		col("NextAptNum", payload.Int, "a.NextAptNum"),
		col("UnschedStatus", payload.Int, "a.UnschedStatus"),
		col("unschedStatus", payload.String, "du.ItemName"),
		col("IsNewPatient", payload.Bool, "a.IsNewPatient"),
		col("ProcDescript", payload.String, "a.ProcDescript"),
		col("ClinicNum", payload.Int, "a.ClinicNum"),
		col("IsHygiene", payload.Bool, "a.IsHygiene"),
		col("DateTStamp", payload.DateTime, "a.DateTStamp"),
		col("DateTimeArrived", payload.DateTime, "a.DateTimeArrived"),
		col("DateTimeSeated", payload.DateTime, "a.DateTimeSeated"),
		col("DateTimeDismissed", payload.DateTime, "a.DateTimeDismissed"),
		col("InsPlan1", payload.Int, "a.InsPlan1"),
		col("InsPlan2", payload.Int, "a.InsPlan2"),
		col("DateTimeAskedToArrive", payload.DateTime, "a.DateTimeAskedToArrive"),
		col("colorOverride", payload.Colour, "a.ColorOverride"),
		col("AppointmentTypeNum", payload.Int, "a.AppointmentTypeNum"),
		col("SecDateTEntry", payload.DateTime, "a.SecDateTEntry"),
		enum("Priority", apptPriority, "a.Priority"),
		col("PatternSecondary", payload.String, "a.PatternSecondary"),
		col("ItemOrderPlanned", payload.Int, "a.ItemOrderPlanned"),
	}
}

const appointmentJoins = ` LEFT JOIN definition dc ON dc.DefNum = a.Confirmed AND dc.Category = ` + defApptConfirmed +
	` LEFT JOIN provider p ON p.ProvNum = a.ProvNum` +
	` LEFT JOIN definition du ON du.DefNum = a.UnschedStatus AND du.Category = ` + defRecallUnschedStatus

// patientFrom reads a patient (alias t) with the provider, billing type, clinic and site its derived
// fields name.
const patientFrom = `patient t` +
	` LEFT JOIN provider pp ON pp.ProvNum = t.PriProv` +
	` LEFT JOIN provider ps ON ps.ProvNum = t.SecProv` +
	` LEFT JOIN definition db ON db.DefNum = t.BillingType AND db.Category = ` + defBillingTypes +
	` LEFT JOIN clinic c ON c.ClinicNum = t.ClinicNum` +
	` LEFT JOIN site s ON s.SiteNum = t.SiteNum`

// patientColumns are the keys of a Patient element: the Patients GET (single) shape. When selected is
// true they are the PatientSelected UI event's keys instead, which leave out FeeSched, FamFinUrgNote,
// EmployerNum, Premed, Ward, AdmitDate and SuperFamily and show ClinicNum as a string, as Open
// Dental's example does.
func patientColumns(selected bool) []column {
	all := []struct {
		c        column
		inGET    bool
		inSelect bool
	}{
		{col("PatNum", payload.Int, "t.PatNum"), true, true},
		{col("LName", payload.String, "t.LName"), true, true},
		{col("FName", payload.String, "t.FName"), true, true},
		{col("MiddleI", payload.String, "t.MiddleI"), true, true},
		{col("Preferred", payload.String, "t.Preferred"), true, true},
		{enum("PatStatus", patientStatus, "t.PatStatus"), true, true},
		{enum("Gender", patientGender, "t.Gender"), true, true},
		{enum("Position", patientPos, "t.Position"), true, true},
		{col("Birthdate", payload.Date, "t.Birthdate"), true, true},
		{col("SSN", payload.String, "t.SSN"), true, true},
		{col("Address", payload.String, "t.Address"), true, true},
		{col("Address2", payload.String, "t.Address2"), true, true},
		{col("City", payload.String, "t.City"), true, true},
		{col("State", payload.String, "t.State"), true, true},
		{col("Zip", payload.String, "t.Zip"), true, true},
		{col("HmPhone", payload.String, "t.HmPhone"), true, true},
		{col("WkPhone", payload.String, "t.WkPhone"), true, true},
		{col("WirelessPhone", payload.String, "t.WirelessPhone"), true, true},
		{col("Guarantor", payload.Int, "t.Guarantor"), true, true},
		{col("Email", payload.String, "t.Email"), true, true},
		{col("EstBalance", payload.Money, "t.EstBalance"), true, true},
		{col("PriProv", payload.Int, "t.PriProv"), true, true},
		{col("priProvAbbr", payload.String, "pp.Abbr"), true, true},
		{col("SecProv", payload.Int, "t.SecProv"), true, true},
		{col("secProvAbbr", payload.String, "ps.Abbr"), true, true},
		{col("FeeSched", payload.Int, "t.FeeSched"), true, false},
		{col("BillingType", payload.String, "db.ItemName"), true, true},
		{col("ImageFolder", payload.String, "t.ImageFolder"), true, true},
		{col("FamFinUrgNote", payload.String, "t.FamFinUrgNote"), true, false},
		{col("ChartNumber", payload.String, "t.ChartNumber"), true, true},
		{col("MedicaidID", payload.String, "t.MedicaidID"), true, true},
		{col("BalTotal", payload.Money, "t.BalTotal"), true, true},
		{col("EmployerNum", payload.Int, "t.EmployerNum"), true, false},
		{col("DateFirstVisit", payload.Date, "t.DateFirstVisit"), true, true},
		{col("ClinicNum", payload.Int, "t.ClinicNum"), true, false},
		{col("ClinicNum", payload.IntString, "t.ClinicNum"), false, true},
		{col("clinicAbbr", payload.String, "c.Abbr"), true, true},
		{col("Premed", payload.Bool, "t.Premed"), true, false},
		{col("Ward", payload.String, "t.Ward"), true, false},
		{enum("PreferConfirmMethod", contactMethod, "t.PreferConfirmMethod"), true, true},
		{enum("PreferContactMethod", contactMethod, "t.PreferContactMethod"), true, true},
		{enum("PreferRecallMethod", contactMethod, "t.PreferRecallMethod"), true, true},
		{col("Language", payload.String, "t.Language"), true, true},
		{col("AdmitDate", payload.Date, "t.AdmitDate"), true, false},
		{col("siteDesc", payload.String, "s.Description"), true, true},
		{col("DateTStamp", payload.DateTime, "t.DateTStamp"), true, true},
		{col("SuperFamily", payload.Int, "t.SuperFamily"), true, false},
		{enum("TxtMsgOk", yn, "t.TxtMsgOk"), true, true},
		{col("SecDateEntry", payload.Date, "t.SecDateEntry"), true, true},
	}
	var out []column
	for _, f := range all {
		if (selected && f.inSelect) || (!selected && f.inGET) {
			out = append(out, f.c)
		}
	}
	return out
}

// watchedTables is every WatchTable's polling definition, in Open Dental's enum order.
var watchedTables = []watched{
	{
		table:   subscriptions.Appointment,
		from:    "appointment a" + appointmentJoins,
		watch:   "a.DateTStamp",
		columns: appointmentColumns(),
	},
	{
		// Deletions come from histappointment rows with HistApptAction = 4 (Deleted), windowed on the
		// history row's own DateTStamp. Elements have the HistAppointments GET shape: the history
		// columns, then every appointment key.
		table:  subscriptions.AppointmentDeleted,
		from:   "histappointment a" + appointmentJoins,
		watch:  "a.DateTStamp",
		filter: "a.HistApptAction = 4",
		columns: append([]column{
			col("HistApptNum", payload.Int, "a.HistApptNum"),
			col("HistUserNum", payload.Int, "a.HistUserNum"),
			col("HistDateTStamp", payload.DateTime, "a.HistDateTStamp"),
			enum("HistApptAction", histApptAction, "a.HistApptAction"),
			enum("ApptSource", eServiceTypes, "a.ApptSource"),
		}, appointmentColumns()...),
	},
	{
		// The Operatories GET shape has no DateTStamp, though the window is on it.
		table: subscriptions.Operatory,
		from:  "operatory o LEFT JOIN definition dt ON dt.DefNum = o.OperatoryType AND dt.Category = " + defOperatoryTypes,
		watch: "o.DateTStamp",
		columns: []column{
			col("OperatoryNum", payload.Int, "o.OperatoryNum"),
			col("OpName", payload.String, "o.OpName"),
			col("Abbrev", payload.String, "o.Abbrev"),
			col("ItemOrder", payload.Int, "o.ItemOrder"),
			col("IsHidden", payload.Bool, "o.IsHidden"),
			col("ProvDentist", payload.Int, "o.ProvDentist"),
			col("ProvHygienist", payload.Int, "o.ProvHygienist"),
			col("IsHygiene", payload.Bool, "o.IsHygiene"),
			col("ClinicNum", payload.Int, "o.ClinicNum"),
			col("SetProspective", payload.Bool, "o.SetProspective"),
			col("IsWebSched", payload.Bool, "o.IsWebSched"),
			col("OperatoryType", payload.Int, "o.OperatoryType"),
			col("operatoryType", payload.String, "dt.ItemName"),
		},
	},
	{
		table: subscriptions.PatField,
		from:  "patfield f",
		watch: "f.SecDateTEdit",
		columns: []column{
			col("PatFieldNum", payload.Int, "f.PatFieldNum"),
			col("PatNum", payload.Int, "f.PatNum"),
			col("FieldName", payload.String, "f.FieldName"),
			col("FieldValue", payload.String, "f.FieldValue"),
			col("SecDateEntry", payload.Date, "f.SecDateEntry"),
			col("SecDateTEdit", payload.DateTime, "f.SecDateTEdit"),
		},
	},
	{
		table:   subscriptions.Patient,
		from:    patientFrom,
		watch:   "t.DateTStamp",
		columns: patientColumns(false),
	},
	{
		table: subscriptions.Provider,
		from:  "provider v",
		watch: "v.DateTStamp",
		columns: []column{
			col("ProvNum", payload.Int, "v.ProvNum"),
			col("Abbr", payload.String, "v.Abbr"),
			col("LName", payload.String, "v.LName"),
			col("FName", payload.String, "v.FName"),
			col("MI", payload.String, "v.MI"),
			col("Suffix", payload.String, "v.Suffix"),
			col("FeeSched", payload.Int, "v.FeeSched"),
			col("Specialty", payload.Int, "v.Specialty"),
			col("SSN", payload.String, "v.SSN"),
			col("StateLicense", payload.String, "v.StateLicense"),
			col("IsSecondary", payload.Bool, "v.IsSecondary"),
			col("provColor", payload.Colour, "v.ProvColor"),
			col("IsHidden", payload.Bool, "v.IsHidden"),
			col("UsingTIN", payload.Bool, "v.UsingTIN"),
			col("SigOnFile", payload.Bool, "v.SigOnFile"),
			col("NationalProvID", payload.String, "v.NationalProvID"),
			col("DateTStamp", payload.DateTime, "v.DateTStamp"),
			col("IsNotPerson", payload.Bool, "v.IsNotPerson"),
			enum("ProvStatus", providerStatus, "v.ProvStatus"),
			col("IsHiddenReport", payload.Bool, "v.IsHiddenReport"),
			col("Birthdate", payload.Date, "v.Birthdate"),
			col("SchedNote", payload.String, "v.SchedNote"),
			col("PreferredName", payload.String, "v.PreferredName"),
		},
	},
	{
		// Schedules GET renders every number as a JSON string ("ScheduleNum": "24555"); odsim keeps
		// that quirk in events. operatories lists the schedule's scheduleop rows in the order they
		// were added.
		table: subscriptions.Schedule,
		from:  "schedule h LEFT JOIN definition dk ON dk.DefNum = h.BlockoutType AND dk.Category = " + defBlockoutTypes,
		watch: "h.DateTStamp",
		columns: []column{
			col("ScheduleNum", payload.IntString, "h.ScheduleNum"),
			col("SchedDate", payload.Date, "h.SchedDate"),
			col("StartTime", payload.Time, "h.StartTime"),
			col("StopTime", payload.Time, "h.StopTime"),
			enum("SchedType", scheduleType, "h.SchedType"),
			col("ProvNum", payload.IntString, "h.ProvNum"),
			col("BlockoutType", payload.IntString, "h.BlockoutType"),
			col("blockoutType", payload.String, "dk.ItemName"),
			col("Note", payload.String, "h.Note"),
			col("operatories", payload.String, "(SELECT GROUP_CONCAT(so.OperatoryNum ORDER BY so.ScheduleOpNum SEPARATOR ',') FROM scheduleop so WHERE so.ScheduleNum = h.ScheduleNum)"),
			col("EmployeeNum", payload.IntString, "h.EmployeeNum"),
			col("DateTStamp", payload.DateTime, "h.DateTStamp"),
		},
	},
	{
		table: subscriptions.ToothInitial,
		from:  "toothinitial i",
		watch: "i.SecDateTEdit",
		columns: []column{
			col("ToothInitialNum", payload.Int, "i.ToothInitialNum"),
			col("PatNum", payload.Int, "i.PatNum"),
			col("ToothNum", payload.String, "i.ToothNum"),
			enum("InitialType", toothInitial, "i.InitialType"),
			col("Movement", payload.Float, "i.Movement"),
			col("DrawingSegment", payload.String, "i.DrawingSegment"),
			col("ColorDraw", payload.Colour, "i.ColorDraw"),
			col("SecDateTEntry", payload.DateTime, "i.SecDateTEntry"),
			col("SecDateTEdit", payload.DateTime, "i.SecDateTEdit"),
			col("DrawText", payload.String, "i.DrawText"),
		},
	},
}
