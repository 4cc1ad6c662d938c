package store

import (
	"fmt"

	"github.com/odsim/odsim/catalogue"
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

// expr is the SQL expression that reads one key of an event.
type expr struct {
	key, sql string
}

// columns pairs each key of ev, in the catalogue's order, with the expression that reads it. The keys,
// their order and their kinds come only from the catalogue (package catalogue): an expression for a
// key the catalogue does not describe, or a key without an expression, is an error, so a payload
// cannot send a key its schema lacks, nor leave one out.
func columns(ev *catalogue.Event, exprs []expr) ([]column, error) {
	byKey := make(map[string]string, len(exprs))
	for _, e := range exprs {
		if _, dup := byKey[e.key]; dup {
			return nil, fmt.Errorf("%s: two expressions for key %s", ev.Name, e.key)
		}
		if _, ok := ev.Key(e.key); !ok {
			return nil, fmt.Errorf("%s: expression for key %s, which the catalogue does not describe", ev.Name, e.key)
		}
		byKey[e.key] = e.sql
	}
	out := make([]column, len(ev.Keys))
	for i, k := range ev.Keys {
		sql, ok := byKey[k.Name]
		if !ok {
			return nil, fmt.Errorf("%s: no expression reads key %s", ev.Name, k.Name)
		}
		out[i] = column{Field: k.Field(), expr: sql}
	}
	return out, nil
}

func mustColumns(name string, exprs []expr) []column {
	ev := catalogue.ByName(name)
	if ev == nil {
		panic("store: no catalogue event " + name)
	}
	c, err := columns(ev, exprs)
	if err != nil {
		panic("store: " + err.Error())
	}
	return c
}

// Definition categories (DefCat) whose names payloads show.
const (
	defApptConfirmed       = "2"
	defBillingTypes        = "4"
	defRecallUnschedStatus = "13"
	defBlockoutTypes       = "25"
	defOperatoryTypes      = "55"
)

// appointmentExprs read the keys of an Appointment element from alias a, which is appointment or
// histappointment; dc, du and p are its confirmation definition, unscheduled-status definition and
// provider.
func appointmentExprs() []expr {
	return []expr{
		{"AptNum", "a.AptNum"},
		{"PatNum", "a.PatNum"},
		{"AptStatus", "a.AptStatus"},
		{"Pattern", "a.Pattern"},
		{"Confirmed", "a.Confirmed"},
		{"confirmed", "dc.ItemName"},
		{"TimeLocked", "a.TimeLocked"},
		{"Op", "a.Op"},
		{"Note", "a.Note"},
		{"ProvNum", "a.ProvNum"},
		{"provAbbr", "p.Abbr"},
		{"ProvHyg", "a.ProvHyg"},
		{"AptDateTime", "a.AptDateTime"},
		{"NextAptNum", "a.NextAptNum"},
		{"UnschedStatus", "a.UnschedStatus"},
		{"unschedStatus", "du.ItemName"},
		{"IsNewPatient", "a.IsNewPatient"},
		{"ProcDescript", "a.ProcDescript"},
		{"ClinicNum", "a.ClinicNum"},
		{"IsHygiene", "a.IsHygiene"},
		{"DateTStamp", "a.DateTStamp"},
		{"DateTimeArrived", "a.DateTimeArrived"},
		{"DateTimeSeated", "a.DateTimeSeated"},
		{"DateTimeDismissed", "a.DateTimeDismissed"},
		{"InsPlan1", "a.InsPlan1"},
		{"InsPlan2", "a.InsPlan2"},
		{"DateTimeAskedToArrive", "a.DateTimeAskedToArrive"},
		{"colorOverride", "a.ColorOverride"},
		{"AppointmentTypeNum", "a.AppointmentTypeNum"},
		{"SecDateTEntry", "a.SecDateTEntry"},
		{"Priority", "a.Priority"},
		{"PatternSecondary", "a.PatternSecondary"},
		{"ItemOrderPlanned", "a.ItemOrderPlanned"},
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

// patientExprs read the keys of a Patient element and of the PatientSelected body (which has fewer
// of them) from patientFrom.
func patientExprs(selected bool) []expr {
	all := []expr{
		{"PatNum", "t.PatNum"},
		{"LName", "t.LName"},
		{"FName", "t.FName"},
		{"MiddleI", "t.MiddleI"},
		{"Preferred", "t.Preferred"},
		{"PatStatus", "t.PatStatus"},
		{"Gender", "t.Gender"},
		{"Position", "t.Position"},
		{"Birthdate", "t.Birthdate"},
		{"SSN", "t.SSN"},
		{"Address", "t.Address"},
		{"Address2", "t.Address2"},
		{"City", "t.City"},
		{"State", "t.State"},
		{"Zip", "t.Zip"},
		{"HmPhone", "t.HmPhone"},
		{"WkPhone", "t.WkPhone"},
		{"WirelessPhone", "t.WirelessPhone"},
		{"Guarantor", "t.Guarantor"},
		{"Email", "t.Email"},
		{"EstBalance", "t.EstBalance"},
		{"PriProv", "t.PriProv"},
		{"priProvAbbr", "pp.Abbr"},
		{"SecProv", "t.SecProv"},
		{"secProvAbbr", "ps.Abbr"},
		{"FeeSched", "t.FeeSched"},
		{"BillingType", "db.ItemName"},
		{"ImageFolder", "t.ImageFolder"},
		{"FamFinUrgNote", "t.FamFinUrgNote"},
		{"ChartNumber", "t.ChartNumber"},
		{"MedicaidID", "t.MedicaidID"},
		{"BalTotal", "t.BalTotal"},
		{"EmployerNum", "t.EmployerNum"},
		{"DateFirstVisit", "t.DateFirstVisit"},
		{"ClinicNum", "t.ClinicNum"},
		{"clinicAbbr", "c.Abbr"},
		{"Premed", "t.Premed"},
		{"Ward", "t.Ward"},
		{"PreferConfirmMethod", "t.PreferConfirmMethod"},
		{"PreferContactMethod", "t.PreferContactMethod"},
		{"PreferRecallMethod", "t.PreferRecallMethod"},
		{"Language", "t.Language"},
		{"AdmitDate", "t.AdmitDate"},
		{"siteDesc", "s.Description"},
		{"DateTStamp", "t.DateTStamp"},
		{"SuperFamily", "t.SuperFamily"},
		{"TxtMsgOk", "t.TxtMsgOk"},
		{"SecDateEntry", "t.SecDateEntry"},
	}
	if !selected {
		return all
	}
	ev := catalogue.ByName(string(subscriptions.PatientSelected))
	var out []expr
	for _, e := range all {
		if _, ok := ev.Key(e.key); ok {
			out = append(out, e)
		}
	}
	return out
}

// patientColumns are the columns of a Patient element (the Patients GET shape) or, with selected, of
// the PatientSelected body.
func patientColumns(selected bool) []column {
	if selected {
		return mustColumns(string(subscriptions.PatientSelected), patientExprs(true))
	}
	return mustColumns(string(subscriptions.Patient), patientExprs(false))
}

// watchedTables is every WatchTable's polling definition, in Open Dental's enum order. Keys, their
// order and kinds come from the catalogue; only the SQL that reads each key is here.
var watchedTables = []watched{
	{
		table:   subscriptions.Appointment,
		from:    "appointment a" + appointmentJoins,
		watch:   "a.DateTStamp",
		columns: mustColumns(string(subscriptions.Appointment), appointmentExprs()),
	},
	{
		// Deletions come from histappointment rows with HistApptAction = 4 (Deleted), windowed on the
		// history row's own DateTStamp. Elements have the HistAppointments GET shape: the history
		// columns, then every appointment key.
		table:  subscriptions.AppointmentDeleted,
		from:   "histappointment a" + appointmentJoins,
		watch:  "a.DateTStamp",
		filter: "a.HistApptAction = 4",
		columns: mustColumns(string(subscriptions.AppointmentDeleted), append([]expr{
			{"HistApptNum", "a.HistApptNum"},
			{"HistUserNum", "a.HistUserNum"},
			{"HistDateTStamp", "a.HistDateTStamp"},
			{"HistApptAction", "a.HistApptAction"},
			{"ApptSource", "a.ApptSource"},
		}, appointmentExprs()...)),
	},
	{
		// The Operatories GET shape has no DateTStamp, though the window is on it.
		table: subscriptions.Operatory,
		from:  "operatory o LEFT JOIN definition dt ON dt.DefNum = o.OperatoryType AND dt.Category = " + defOperatoryTypes,
		watch: "o.DateTStamp",
		columns: mustColumns(string(subscriptions.Operatory), []expr{
			{"OperatoryNum", "o.OperatoryNum"},
			{"OpName", "o.OpName"},
			{"Abbrev", "o.Abbrev"},
			{"ItemOrder", "o.ItemOrder"},
			{"IsHidden", "o.IsHidden"},
			{"ProvDentist", "o.ProvDentist"},
			{"ProvHygienist", "o.ProvHygienist"},
			{"IsHygiene", "o.IsHygiene"},
			{"ClinicNum", "o.ClinicNum"},
			{"SetProspective", "o.SetProspective"},
			{"IsWebSched", "o.IsWebSched"},
			{"OperatoryType", "o.OperatoryType"},
			{"operatoryType", "dt.ItemName"},
		}),
	},
	{
		table: subscriptions.PatField,
		from:  "patfield f",
		watch: "f.SecDateTEdit",
		columns: mustColumns(string(subscriptions.PatField), []expr{
			{"PatFieldNum", "f.PatFieldNum"},
			{"PatNum", "f.PatNum"},
			{"FieldName", "f.FieldName"},
			{"FieldValue", "f.FieldValue"},
			{"SecDateEntry", "f.SecDateEntry"},
			{"SecDateTEdit", "f.SecDateTEdit"},
		}),
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
		columns: mustColumns(string(subscriptions.Provider), []expr{
			{"ProvNum", "v.ProvNum"},
			{"Abbr", "v.Abbr"},
			{"LName", "v.LName"},
			{"FName", "v.FName"},
			{"MI", "v.MI"},
			{"Suffix", "v.Suffix"},
			{"FeeSched", "v.FeeSched"},
			{"Specialty", "v.Specialty"},
			{"SSN", "v.SSN"},
			{"StateLicense", "v.StateLicense"},
			{"IsSecondary", "v.IsSecondary"},
			{"provColor", "v.ProvColor"},
			{"IsHidden", "v.IsHidden"},
			{"UsingTIN", "v.UsingTIN"},
			{"SigOnFile", "v.SigOnFile"},
			{"NationalProvID", "v.NationalProvID"},
			{"DateTStamp", "v.DateTStamp"},
			{"IsNotPerson", "v.IsNotPerson"},
			{"ProvStatus", "v.ProvStatus"},
			{"IsHiddenReport", "v.IsHiddenReport"},
			{"Birthdate", "v.Birthdate"},
			{"SchedNote", "v.SchedNote"},
			{"PreferredName", "v.PreferredName"},
		}),
	},
	{
		// Schedules GET renders every number as a JSON string ("ScheduleNum": "24555"); odsim keeps
		// that quirk in events. operatories lists the schedule's scheduleop rows in the order they
		// were added.
		table: subscriptions.Schedule,
		from:  "schedule h LEFT JOIN definition dk ON dk.DefNum = h.BlockoutType AND dk.Category = " + defBlockoutTypes,
		watch: "h.DateTStamp",
		columns: mustColumns(string(subscriptions.Schedule), []expr{
			{"ScheduleNum", "h.ScheduleNum"},
			{"SchedDate", "h.SchedDate"},
			{"StartTime", "h.StartTime"},
			{"StopTime", "h.StopTime"},
			{"SchedType", "h.SchedType"},
			{"ProvNum", "h.ProvNum"},
			{"BlockoutType", "h.BlockoutType"},
			{"blockoutType", "dk.ItemName"},
			{"Note", "h.Note"},
			{"operatories", "(SELECT GROUP_CONCAT(so.OperatoryNum ORDER BY so.ScheduleOpNum SEPARATOR ',') FROM scheduleop so WHERE so.ScheduleNum = h.ScheduleNum)"},
			{"EmployeeNum", "h.EmployeeNum"},
			{"DateTStamp", "h.DateTStamp"},
		}),
	},
	{
		table: subscriptions.ToothInitial,
		from:  "toothinitial i",
		watch: "i.SecDateTEdit",
		columns: mustColumns(string(subscriptions.ToothInitial), []expr{
			{"ToothInitialNum", "i.ToothInitialNum"},
			{"PatNum", "i.PatNum"},
			{"ToothNum", "i.ToothNum"},
			{"InitialType", "i.InitialType"},
			{"Movement", "i.Movement"},
			{"DrawingSegment", "i.DrawingSegment"},
			{"ColorDraw", "i.ColorDraw"},
			{"SecDateTEntry", "i.SecDateTEntry"},
			{"SecDateTEdit", "i.SecDateTEdit"},
			{"DrawText", "i.DrawText"},
		}),
	},
}
