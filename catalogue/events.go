// Package catalogue describes, once and as data, every event odsim sends the way Open Dental sends it:
// each WatchTable's and UiEventType's keys, their order, value kinds and enum names, with a short
// meaning for each key. Everything else about an event's shape is derived from this description: the
// JSON encoder's field tables (package store adds only the SQL that reads each key), the JSON Schemas
// and the OpenAPI document's webhooks, docs/events.md, and the checks of `odsim listen --validate`.
//
// Sources: shared/spec/opendental-events.md §4 (payloads) and opendental-schema.md §5–§7 (columns and
// enums). Open Dental documents only the Appointment and PatientSelected bodies; the other shapes are
// the matching API GET shapes (Source says which).
//
// One shape per event today: the newest documented behaviour. Version profiles (issue 15) will choose
// the keys and their order per event as data: Event.Select builds a shape from key names, so a profile
// is a list of names per event, not code.
package catalogue

import (
	"fmt"

	"github.com/odsim/odsim/payload"
	"github.com/odsim/odsim/subscriptions"
)

// Event is one event type as Open Dental sends it.
type Event struct {
	Name   string // the WatchTable or UiEventType, e.g. "Appointment", "PatientSelected"
	UI     bool   // a UI event: one JSON object per POST; database events POST an array of elements
	Table  string // the table each element is read from (the watched table for database events)
	Watch  string // database events: the change-tracking column the poll window is on
	Added  string // the Open Dental version that added the event
	Source string // where the shape comes from
	About  string // one sentence for people
	Keys   []Key  // the element's keys, in the order they are sent
}

// Key is one key of an event's element.
type Key struct {
	Name    string
	Kind    payload.Kind
	Enum    *Enum  // for payload.Enum: the names by value
	Meaning string // short, for docs/events.md and the schema's description
}

// Enum is one of Open Dental's C# enums: its name and its value names by integer value.
type Enum struct {
	Name   string
	Values []string
}

// Field is the key as the encoder takes it.
func (k Key) Field() payload.Field {
	f := payload.Field{Key: k.Name, Kind: k.Kind}
	if k.Enum != nil {
		f.Names = k.Enum.Values
	}
	return f
}

// Fields returns the encoder's fields of the event, in order.
func (e *Event) Fields() []payload.Field {
	out := make([]payload.Field, len(e.Keys))
	for i, k := range e.Keys {
		out[i] = k.Field()
	}
	return out
}

// Key returns the key named name, if the event has it.
func (e *Event) Key(name string) (Key, bool) {
	for _, k := range e.Keys {
		if k.Name == name {
			return k, true
		}
	}
	return Key{}, false
}

// Select returns the event with only the keys named, in that order: the shape a version profile
// would send. Every name must be one of the event's keys, once.
func (e *Event) Select(names []string) (*Event, error) {
	out := *e
	out.Keys = make([]Key, 0, len(names))
	seen := map[string]bool{}
	for _, n := range names {
		k, ok := e.Key(n)
		if !ok {
			return nil, fmt.Errorf("select %s keys: %s has no key %q", e.Name, e.Name, n)
		}
		if seen[n] {
			return nil, fmt.Errorf("select %s keys: %q given twice", e.Name, n)
		}
		seen[n] = true
		out.Keys = append(out.Keys, k)
	}
	return &out, nil
}

// Events returns every event: the WatchTables in Open Dental's enum order, then the UiEventTypes.
func Events() []*Event { return events }

// ByName returns the event named name (a WatchTable or UiEventType), or nil.
func ByName(name string) *Event {
	for _, e := range events {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Open Dental's enums that payloads show (opendental-schema.md §7).
var (
	ApptStatus            = &Enum{"ApptStatus", []string{"None", "Scheduled", "Complete", "UnschedList", "ASAP", "Broken", "Planned", "PtNote", "PtNoteCompleted"}}
	ApptPriority          = &Enum{"ApptPriority", []string{"Normal", "ASAP"}}
	PatientStatus         = &Enum{"PatientStatus", []string{"Patient", "NonPatient", "Inactive", "Archived", "Deleted", "Deceased", "Prospective"}}
	PatientGender         = &Enum{"PatientGender", []string{"Male", "Female", "Unknown", "Other"}}
	PatientPosition       = &Enum{"PatientPosition", []string{"Single", "Married", "Child", "Widowed", "Divorced"}}
	ContactMethod         = &Enum{"ContactMethod", []string{"None", "DoNotCall", "HmPhone", "WkPhone", "WirelessPh", "Email", "SeeNotes", "Mail", "TextMessage"}}
	YN                    = &Enum{"YN", []string{"Unknown", "Yes", "No"}}
	ScheduleType          = &Enum{"ScheduleType", []string{"Practice", "Provider", "Blockout", "Employee", "WebSchedASAP"}}
	HistAppointmentAction = &Enum{"HistAppointmentAction", []string{"Created", "Changed", "Missed", "Cancelled", "Deleted"}}
	EServiceTypes         = &Enum{"EServiceTypes", []string{"None", "EConnector", "Broadcaster", "BroadcastMonitor", "ServiceMainHQ", "OpenDentalService", "OpenDentalAPIService"}}
	ProviderStatus        = &Enum{"ProviderStatus", []string{"Active", "Deleted"}}
	ToothInitialType      = &Enum{"ToothInitialType", []string{"Missing", "Hidden", "Primary", "ShiftM", "ShiftO", "ShiftB", "Rotate", "TipM", "TipB", "Drawing", "Text"}}
)

func k(name string, kind payload.Kind, meaning string) Key {
	return Key{Name: name, Kind: kind, Meaning: meaning}
}

func enum(name string, e *Enum, meaning string) Key {
	return Key{Name: name, Kind: payload.Enum, Enum: e, Meaning: meaning}
}

// appointmentKeys are an Appointment element's keys, in the order of the EV-E example
// (opendental-events.md §4.3).
func appointmentKeys(stamp string) []Key {
	return []Key{
		k("AptNum", payload.Int, "the appointment's primary key"),
		k("PatNum", payload.Int, "the patient (patient.PatNum)"),
		enum("AptStatus", ApptStatus, "scheduled, complete, on the unscheduled list, broken, planned, a patient note"),
		k("Pattern", payload.String, `the length in 5-minute slots: "X" provider time, "/" assistant time`),
		k("Confirmed", payload.Int, "the confirmation status (definition.DefNum, category ApptConfirmed)"),
		k("confirmed", payload.String, "the confirmation status's name (definition.ItemName of Confirmed)"),
		k("TimeLocked", payload.Bool, "whether the length is locked"),
		k("Op", payload.Int, "the operatory (operatory.OperatoryNum); 0 when not scheduled"),
		k("Note", payload.String, "the appointment note"),
		k("ProvNum", payload.Int, "the dentist (provider.ProvNum)"),
		k("provAbbr", payload.String, "the dentist's abbreviation (provider.Abbr of ProvNum)"),
		k("ProvHyg", payload.Int, "the hygienist (provider.ProvNum); 0 for none"),
		k("AptDateTime", payload.DateTime, "when the appointment starts; 0001-01-01 00:00:00 when unscheduled"),
		k("NextAptNum", payload.Int, "the planned appointment this one came from; 0 for none"),
		k("UnschedStatus", payload.Int, "why it is unscheduled (definition.DefNum, category RecallUnschedStatus); 0 for none"),
		k("unschedStatus", payload.String, `the name of UnschedStatus; "" when 0`),
		k("IsNewPatient", payload.Bool, "whether this is the patient's first appointment"),
		k("ProcDescript", payload.String, `the procedures, abbreviated ("Seal, Seal")`),
		k("ClinicNum", payload.Int, "the clinic (clinic.ClinicNum); 0 for none"),
		k("IsHygiene", payload.Bool, "whether it is a hygiene appointment"),
		k("DateTStamp", payload.DateTime, stamp),
		k("DateTimeArrived", payload.DateTime, "when the patient arrived; 0001-01-01 00:00:00 when not yet"),
		k("DateTimeSeated", payload.DateTime, "when the patient was seated; 0001-01-01 00:00:00 when not yet"),
		k("DateTimeDismissed", payload.DateTime, "when the patient was dismissed; 0001-01-01 00:00:00 when not yet"),
		k("InsPlan1", payload.Int, "the primary insurance plan (insplan.PlanNum); 0 for none"),
		k("InsPlan2", payload.Int, "the secondary insurance plan; 0 for none"),
		k("DateTimeAskedToArrive", payload.DateTime, "when the patient was asked to arrive; 0001-01-01 00:00:00 for none"),
		k("colorOverride", payload.Colour, `the appointment's colour override as "R,G,B"; "0,0,0" for none`),
		k("AppointmentTypeNum", payload.Int, "the appointment type (appointmenttype.AppointmentTypeNum); 0 for none"),
		k("SecDateTEntry", payload.DateTime, "when the appointment was created"),
		enum("Priority", ApptPriority, "Normal, or ASAP"),
		k("PatternSecondary", payload.String, "the pattern of the secondary provider's time"),
		k("ItemOrderPlanned", payload.Int, "the order of a planned appointment in the patient's list"),
	}
}

// patientKeys are a Patient element's keys (Patients GET single, opendental-events.md §4.4); with
// selected, the PatientSelected body's instead: no FeeSched, FamFinUrgNote, EmployerNum, Premed, Ward,
// AdmitDate or SuperFamily, and ClinicNum a string, as Open Dental's example shows.
func patientKeys(selected bool) []Key {
	clinic := k("ClinicNum", payload.Int, "the clinic (clinic.ClinicNum); 0 for none")
	if selected {
		clinic = k("ClinicNum", payload.IntString, `the clinic (clinic.ClinicNum) as a string, as Open Dental's example shows it ("1"); "0" for none`)
	}
	all := []struct {
		key      Key
		selected bool // also in PatientSelected
	}{
		{k("PatNum", payload.Int, "the patient's primary key"), true},
		{k("LName", payload.String, "last name"), true},
		{k("FName", payload.String, "first name"), true},
		{k("MiddleI", payload.String, "middle initial"), true},
		{k("Preferred", payload.String, "preferred name"), true},
		{enum("PatStatus", PatientStatus, "patient, non-patient, inactive, archived, deleted, deceased, prospective"), true},
		{enum("Gender", PatientGender, "gender"), true},
		{enum("Position", PatientPosition, "marital status"), true},
		{k("Birthdate", payload.Date, "date of birth; 0001-01-01 when unknown"), true},
		{k("SSN", payload.String, "social security number"), true},
		{k("Address", payload.String, "street address"), true},
		{k("Address2", payload.String, "second address line"), true},
		{k("City", payload.String, "city"), true},
		{k("State", payload.String, "state"), true},
		{k("Zip", payload.String, "postal code"), true},
		{k("HmPhone", payload.String, "home phone"), true},
		{k("WkPhone", payload.String, "work phone"), true},
		{k("WirelessPhone", payload.String, "mobile phone"), true},
		{k("Guarantor", payload.Int, "the family's guarantor (patient.PatNum); the patient's own PatNum for the guarantor"), true},
		{k("Email", payload.String, "email address"), true},
		{k("EstBalance", payload.Money, "estimated balance, a number in shortest form"), true},
		{k("PriProv", payload.Int, "primary provider (provider.ProvNum)"), true},
		{k("priProvAbbr", payload.String, "the primary provider's abbreviation"), true},
		{k("SecProv", payload.Int, "secondary provider (provider.ProvNum); 0 for none"), true},
		{k("secProvAbbr", payload.String, `the secondary provider's abbreviation; "" when 0`), true},
		{k("FeeSched", payload.Int, "fee schedule (feesched.FeeSchedNum); 0 for the default"), false},
		{k("BillingType", payload.String, "billing type's name (definition.ItemName of patient.BillingType, category BillingTypes)"), true},
		{k("ImageFolder", payload.String, "the folder of the patient's images"), true},
		{k("FamFinUrgNote", payload.String, "family financial urgent note"), false},
		{k("ChartNumber", payload.String, "chart number"), true},
		{k("MedicaidID", payload.String, "Medicaid ID"), true},
		{k("BalTotal", payload.Money, "family balance total; 0 unless the patient is the guarantor"), true},
		{k("EmployerNum", payload.Int, "employer (employer.EmployerNum); 0 for none"), false},
		{k("DateFirstVisit", payload.Date, "date of the first visit; 0001-01-01 for none"), true},
		{clinic, true},
		{k("clinicAbbr", payload.String, `the clinic's abbreviation; "" when 0`), true},
		{k("Premed", payload.Bool, "whether premedication is required"), false},
		{k("Ward", payload.String, "hospital ward"), false},
		{enum("PreferConfirmMethod", ContactMethod, "preferred way to confirm appointments"), true},
		{enum("PreferContactMethod", ContactMethod, "preferred way to be contacted"), true},
		{enum("PreferRecallMethod", ContactMethod, "preferred way to receive recalls"), true},
		{k("Language", payload.String, `language, ISO 639-2 or custom; "" for none`), true},
		{k("AdmitDate", payload.Date, "hospital admission date; 0001-01-01 for none"), false},
		{k("siteDesc", payload.String, `the site's description (site.Description of patient.SiteNum); "" for none`), true},
		{k("DateTStamp", payload.DateTime, "when the row last changed (the watch column of Patient events)"), true},
		{k("SuperFamily", payload.Int, "super family (patient.PatNum of its head); 0 for none"), false},
		{enum("TxtMsgOk", YN, "whether text messages are allowed"), true},
		{k("SecDateEntry", payload.Date, "when the patient was added"), true},
	}
	var out []Key
	for _, a := range all {
		if !selected || a.selected {
			if a.key.Name == "ClinicNum" {
				out = append(out, clinic)
				continue
			}
			out = append(out, a.key)
		}
	}
	return out
}

const byGET = "not documented as an event; the matching API GET (single) shape [inferred]"

// events is every event's description, built once and never changed.
var events = []*Event{
	{
		Name: string(subscriptions.Appointment), Table: "appointment", Watch: "DateTStamp", Added: "22.1",
		Source: "Open Dental's API Events example (2025, EV-E), which equals the Appointments GET shape without SecUserNumEntry",
		About:  "An appointment was added or changed.",
		Keys:   appointmentKeys("when the row last changed (the watch column)"),
	},
	{
		Name: string(subscriptions.AppointmentDeleted), Table: "histappointment", Watch: "DateTStamp", Added: "22.4.35",
		Source: "not documented as an event; the HistAppointments GET shape, read from histappointment rows with HistApptAction = 4 [inferred]",
		About:  "An appointment was deleted (a history row with HistApptAction Deleted was written).",
		Keys: append([]Key{
			k("HistApptNum", payload.Int, "the history row's primary key"),
			k("HistUserNum", payload.Int, "the user who deleted it (userod.UserNum)"),
			k("HistDateTStamp", payload.DateTime, "when the history row was written"),
			enum("HistApptAction", HistAppointmentAction, "always Deleted in this event"),
			enum("ApptSource", EServiceTypes, "the service that made the change; None for a person"),
		}, appointmentKeys("the history row's own change stamp (the watch column)")...),
	},
	{
		Name: string(subscriptions.Operatory), Table: "operatory", Watch: "DateTStamp", Added: "24.2.11",
		Source: byGET + "; it has no DateTStamp key though the window is on that column",
		About:  "An operatory (chair) was added or changed.",
		Keys: []Key{
			k("OperatoryNum", payload.Int, "the operatory's primary key"),
			k("OpName", payload.String, "name"),
			k("Abbrev", payload.String, "abbreviation"),
			k("ItemOrder", payload.Int, "order in the appointment book"),
			k("IsHidden", payload.Bool, "whether it is hidden"),
			k("ProvDentist", payload.Int, "default dentist (provider.ProvNum); 0 for none"),
			k("ProvHygienist", payload.Int, "default hygienist (provider.ProvNum); 0 for none"),
			k("IsHygiene", payload.Bool, "whether it is a hygiene operatory"),
			k("ClinicNum", payload.Int, "the clinic; 0 for none"),
			k("SetProspective", payload.Bool, "whether new patients scheduled here become prospective"),
			k("IsWebSched", payload.Bool, "whether Web Sched may book it"),
			k("OperatoryType", payload.Int, "operatory type (definition.DefNum, category OperatoryTypes); 0 for none"),
			k("operatoryType", payload.String, `the name of OperatoryType; "" when 0`),
		},
	},
	{
		Name: string(subscriptions.PatField), Table: "patfield", Watch: "SecDateTEdit", Added: "22.4.8",
		Source: byGET + " (PatFields GET; SecDateEntry before SecDateTEdit)",
		About:  "A patient field (a custom field of a patient) was added or changed.",
		Keys: []Key{
			k("PatFieldNum", payload.Int, "the patient field's primary key"),
			k("PatNum", payload.Int, "the patient"),
			k("FieldName", payload.String, "the field's name (patfielddef.FieldName)"),
			k("FieldValue", payload.String, `the value: text, a pick-list item, a "yyyy-MM-dd" date, "1" for a checked box, or an amount`),
			k("SecDateEntry", payload.Date, "when the field was first set"),
			k("SecDateTEdit", payload.DateTime, "when the row last changed (the watch column)"),
		},
	},
	{
		Name: string(subscriptions.Patient), Table: "patient", Watch: "DateTStamp", Added: "22.1",
		Source: byGET + " (Patients GET single)",
		About:  "A patient was added or changed.",
		Keys:   patientKeys(false),
	},
	{
		Name: string(subscriptions.Provider), Table: "provider", Watch: "DateTStamp", Added: "24.2.11",
		Source: byGET + " (Providers GET, without serverDateTime)",
		About:  "A provider was added or changed.",
		Keys: []Key{
			k("ProvNum", payload.Int, "the provider's primary key"),
			k("Abbr", payload.String, "abbreviation"),
			k("LName", payload.String, "last name"),
			k("FName", payload.String, "first name"),
			k("MI", payload.String, "middle initial"),
			k("Suffix", payload.String, `suffix ("DMD")`),
			k("FeeSched", payload.Int, "fee schedule (feesched.FeeSchedNum)"),
			k("Specialty", payload.Int, "specialty (definition.DefNum, category ProviderSpecialties)"),
			k("SSN", payload.String, "SSN or TIN"),
			k("StateLicense", payload.String, "state licence number"),
			k("IsSecondary", payload.Bool, "whether the provider is a hygienist or assistant (secondary)"),
			k("provColor", payload.Colour, `the provider's colour as "R,G,B"`),
			k("IsHidden", payload.Bool, "whether the provider is hidden"),
			k("UsingTIN", payload.Bool, "whether SSN holds a TIN"),
			k("SigOnFile", payload.Bool, "whether a signature is on file"),
			k("NationalProvID", payload.String, "NPI"),
			k("DateTStamp", payload.DateTime, "when the row last changed (the watch column)"),
			k("IsNotPerson", payload.Bool, "whether the provider is an organisation"),
			enum("ProvStatus", ProviderStatus, "Active or Deleted"),
			k("IsHiddenReport", payload.Bool, "whether the provider is hidden in reports"),
			k("Birthdate", payload.Date, "date of birth; 0001-01-01 when unknown"),
			k("SchedNote", payload.String, "note shown in the schedule"),
			k("PreferredName", payload.String, "preferred name"),
		},
	},
	{
		Name: string(subscriptions.Schedule), Table: "schedule", Watch: "DateTStamp", Added: "24.2.11",
		Source: byGET + " (Schedules GET, every number a JSON string as that GET shows it)",
		About:  "A schedule block (provider hours, blockout, practice note or holiday) was added or changed.",
		Keys: []Key{
			k("ScheduleNum", payload.IntString, "the schedule's primary key, as a string"),
			k("SchedDate", payload.Date, "the day"),
			k("StartTime", payload.Time, "start time of day"),
			k("StopTime", payload.Time, "stop time of day"),
			enum("SchedType", ScheduleType, "practice note or holiday, provider hours, blockout, employee hours, Web Sched ASAP"),
			k("ProvNum", payload.IntString, `the provider, as a string; "0" for none`),
			k("BlockoutType", payload.IntString, `the blockout type (definition.DefNum, category BlockoutTypes), as a string; "0" for none`),
			k("blockoutType", payload.String, `the name of BlockoutType; "" when 0`),
			k("Note", payload.String, "note"),
			k("operatories", payload.String, `the operatories (operatory.OperatoryNum) of its scheduleop rows, comma-separated; "" for none`),
			k("EmployeeNum", payload.IntString, `the employee, as a string; "0" for none`),
			k("DateTStamp", payload.DateTime, "when the row last changed (the watch column)"),
		},
	},
	{
		Name: string(subscriptions.ToothInitial), Table: "toothinitial", Watch: "SecDateTEdit", Added: "24.4.30",
		Source: byGET + " (ToothInitials GET; Movement a string as that GET shows it; the watch column is inferred)",
		About:  "A tooth initial (missing, primary, shifted or drawn tooth in the chart) was added or changed.",
		Keys: []Key{
			k("ToothInitialNum", payload.Int, "the tooth initial's primary key"),
			k("PatNum", payload.Int, "the patient"),
			k("ToothNum", payload.String, `the tooth: "1"–"32" or "A"–"T"`),
			enum("InitialType", ToothInitialType, "what the initial says about the tooth"),
			k("Movement", payload.Float, `shift or rotation amount, a number as a string in shortest form ("-20")`),
			k("DrawingSegment", payload.String, "the points of a drawing"),
			k("ColorDraw", payload.Colour, `the drawing's colour as "R,G,B"`),
			k("SecDateTEntry", payload.DateTime, "when the row was created"),
			k("SecDateTEdit", payload.DateTime, "when the row last changed (the watch column)"),
			k("DrawText", payload.String, "the text of a text drawing"),
		},
	},
	{
		Name: string(subscriptions.PatientSelected), UI: true, Table: "patient", Added: "22.1",
		Source: "Open Dental's API Events example (2025, EV-E)",
		About:  "A user selected a patient on a workstation (fired by OpenDental.exe on that machine; sent once, without retry).",
		Keys:   patientKeys(true),
	},
}
