package store

import (
	"slices"
	"strings"
	"testing"

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
