package store

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/odsim/odsim/catalogue"
	"github.com/odsim/odsim/subscriptions"
)

// TestPayloadKeysFollowSpec pins each WatchTable's key list to the lists written out in the spec
// (opendental-events.md §4, opendental-schema.md §6), independently of the golden files.
func TestPayloadKeysFollowSpec(t *testing.T) {
	appointment := "AptNum PatNum AptStatus Pattern Confirmed confirmed TimeLocked Op Note ProvNum provAbbr ProvHyg AptDateTime NextAptNum UnschedStatus unschedStatus IsNewPatient ProcDescript ClinicNum IsHygiene DateTStamp DateTimeArrived DateTimeSeated DateTimeDismissed InsPlan1 InsPlan2 DateTimeAskedToArrive colorOverride AppointmentTypeNum SecDateTEntry Priority PatternSecondary ItemOrderPlanned"
	want := map[subscriptions.WatchTable]string{
		subscriptions.Appointment:        appointment,
		subscriptions.AppointmentDeleted: "HistApptNum HistUserNum HistDateTStamp HistApptAction ApptSource " + appointment,
		subscriptions.Operatory:          "OperatoryNum OpName Abbrev ItemOrder IsHidden ProvDentist ProvHygienist IsHygiene ClinicNum SetProspective IsWebSched OperatoryType operatoryType",
		subscriptions.PatField:           "PatFieldNum PatNum FieldName FieldValue SecDateEntry SecDateTEdit",
		subscriptions.Patient:            "PatNum LName FName MiddleI Preferred PatStatus Gender Position Birthdate SSN Address Address2 City State Zip HmPhone WkPhone WirelessPhone Guarantor Email EstBalance PriProv priProvAbbr SecProv secProvAbbr FeeSched BillingType ImageFolder FamFinUrgNote ChartNumber MedicaidID BalTotal EmployerNum DateFirstVisit ClinicNum clinicAbbr Premed Ward PreferConfirmMethod PreferContactMethod PreferRecallMethod Language AdmitDate siteDesc DateTStamp SuperFamily TxtMsgOk SecDateEntry",
		subscriptions.Provider:           "ProvNum Abbr LName FName MI Suffix FeeSched Specialty SSN StateLicense IsSecondary provColor IsHidden UsingTIN SigOnFile NationalProvID DateTStamp IsNotPerson ProvStatus IsHiddenReport Birthdate SchedNote PreferredName",
		subscriptions.Schedule:           "ScheduleNum SchedDate StartTime StopTime SchedType ProvNum BlockoutType blockoutType Note operatories EmployeeNum DateTStamp",
		subscriptions.ToothInitial:       "ToothInitialNum PatNum ToothNum InitialType Movement DrawingSegment ColorDraw SecDateTEntry SecDateTEdit DrawText",
	}
	for _, wt := range subscriptions.WatchTables {
		var got []string
		for _, f := range PayloadFields(wt) {
			got = append(got, f.Key)
		}
		if w := strings.Fields(want[wt]); !slices.Equal(got, w) {
			t.Errorf("%s keys:\n got %v\nwant %v", wt, got, w)
		}
	}
	if len(want) != len(subscriptions.WatchTables) || len(watchedTables) != len(subscriptions.WatchTables) {
		t.Errorf("every WatchTable needs exactly one field table")
	}
}

// The field tables take their keys, order and kinds from the catalogue and add only SQL: an expression
// for a key the catalogue does not describe (a key the schema would lack), a key of the catalogue
// without an expression (a key the payload would leave out), or a key read twice cannot build.
func TestColumnsComeFromTheCatalogue(t *testing.T) {
	t.Parallel()
	ev := catalogue.ByName("PatField")
	good := []expr{{"PatFieldNum", "f.PatFieldNum"}, {"PatNum", "f.PatNum"}, {"FieldName", "f.FieldName"},
		{"FieldValue", "f.FieldValue"}, {"SecDateTEdit", "f.SecDateTEdit"}, {"SecDateEntry", "f.SecDateEntry"}}
	cols, err := columns(ev, good)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range cols {
		keys = append(keys, c.Key)
	}
	if want := []string{"PatFieldNum", "PatNum", "FieldName", "FieldValue", "SecDateEntry", "SecDateTEdit"}; !slices.Equal(keys, want) {
		t.Errorf("order %v, want the catalogue's %v", keys, want)
	}
	for _, tc := range []struct {
		name  string
		exprs []expr
		want  string
	}{
		{"key the schema lacks", append(slices.Clone(good), expr{"Secret", "f.SecurityHash"}), "PatField: expression for key Secret, which the catalogue does not describe"},
		{"key without SQL", good[1:], "PatField: no expression reads key PatFieldNum"},
		{"key read twice", append(slices.Clone(good), good[0]), "PatField: two expressions for key PatFieldNum"},
	} {
		if _, err := columns(ev, tc.exprs); err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	// And every field table in use is the catalogue's event, key for key.
	for _, w := range watchedTables {
		ev := catalogue.ByName(string(w.table))
		if len(w.columns) != len(ev.Keys) {
			t.Fatalf("%s: %d columns, catalogue has %d keys", w.table, len(w.columns), len(ev.Keys))
		}
		for i, c := range w.columns {
			if !reflect.DeepEqual(c.Field, ev.Keys[i].Field()) {
				t.Errorf("%s column %d: %+v, catalogue %+v", w.table, i, c.Field, ev.Keys[i].Field())
			}
		}
	}
}
