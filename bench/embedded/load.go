package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// size is how many rows of the two large tables a run loads; the small tables stay at demo size.
type size struct {
	appointments int
	patients     int
}

// load fills an empty schema with a synthetic practice of the given size: 4 providers, 2 clinics,
// 6 operatories, the patients and their appointments, DateTStamps spread over the last two weeks.
// It is shaped like the demo practice (store/demo) but independent of it, so the figures stay comparable
// while the demo evolves.
func load(ctx context.Context, db *sql.DB, sz size) error {
	base := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	stmts := []string{
		"INSERT INTO clinic (ClinicNum, Description, Abbr, DefaultPlaceService, InsBillingProv, Fax, EmailAddressNum, DefaultProv, SmsMonthlyLimit, IsMedicalOnly, BillingAddress, BillingAddress2, BillingCity, BillingState, BillingZip, PayToAddress, PayToAddress2, PayToCity, PayToState, PayToZip, UseBillAddrOnClaims, Region, ItemOrder, IsInsVerifyExcluded, MedLabAccountNum, IsConfirmEnabled, IsConfirmDefault, IsNewPatApptExcluded, IsHidden, ExternalID, SchedNote, HasProcOnRx, TimeZone, EmailAliasOverride) VALUES " +
			"(1, 'Main Street', 'MAIN', 0, 0, '', 0, 1, 0, 0, '', '', '', '', '', '', '', '', '', '', 0, 0, 0, 0, '', 1, 1, 0, 0, 0, '', 0, '', '')," +
			"(2, 'Lakeside', 'LAKE', 0, 0, '', 0, 2, 0, 0, '', '', '', '', '', '', '', '', '', '', 0, 0, 1, 0, '', 1, 1, 0, 0, 0, '', 0, '', '')",
	}
	var b strings.Builder
	b.WriteString("INSERT INTO provider (ProvNum, Abbr, LName, FName, FeeSched, Specialty, SchoolClassNum, AnesthProvType, TaxonomyCodeOverride, IsCDAnet, EcwID, StateRxID, IsNotPerson, StateWhereLicensed, EmailAddressNum, IsInstructor, EhrMuStage, ProvNumBillingOverride, CustomID, ProvStatus, IsHiddenReport, IsErxEnabled, SchedNote, WebSchedDescript, WebSchedImageLocation, HourlyProdGoalAmt, PreferredName, ProvColor) VALUES ")
	for i := 1; i <= 4; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, 'DOC%d', 'Provider%d', 'Pat', 0, 0, 0, 0, '', 0, '', '', 0, '', 0, 0, 0, 0, '', 0, 0, 0, '', '', '', 0, '', %d)", i, i, i, 0x3366cc*i)
	}
	stmts = append(stmts, b.String())
	b.Reset()
	b.WriteString("INSERT INTO operatory (OperatoryNum, OpName, Abbrev, ItemOrder, ProvDentist, ProvHygienist, IsHygiene, ClinicNum, SetProspective, IsWebSched, IsNewPatAppt, OperatoryType) VALUES ")
	for i := 1; i <= 6; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, 'Op %d', 'OP%d', %d, %d, %d, %d, %d, 0, 0, 0, 0)", i, i, i, i, 1+i%2, 3+i%2, i%3/2, 1+i%2)
	}
	stmts = append(stmts, b.String())

	const patientCols = "INSERT INTO patient (PatNum, LName, FName, Guarantor, Birthdate, HmPhone, WirelessPhone, Email, PriProv, SecProv, FeeSched, BillingType, SchoolName, EmployerNum, ClinicNum, PlannedIsDone, Premed, PreferConfirmMethod, PreferContactMethod, PreferRecallMethod, SchedDayOfWeek, PayPlanDue, SiteNum, ResponsParty, CanadianEligibilityCode, AskToArriveEarly, PreferContactConfidential, SuperFamily, TxtMsgOk, SmokingSnoMed, Country, SecUserNumEntry, HasSuperBilling, PatNumCloneFrom, DiscountPlanNum, HasSignedTil, ShortCodeOptIn, SecurityHash, DateTStamp) VALUES "
	stmts = append(stmts, batched(patientCols, sz.patients, func(b *strings.Builder, i int) {
		pat := i + 1
		fmt.Fprintf(b, "(%d, 'Family%d', 'Member%d', %d, '%s', '555-01%02d', '555-02%02d', 'p%d@example.com', %d, 0, 0, 0, '', 0, %d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, %d, 1, '', '', 0, 0, 0, 0, 0, 0, '', '%s')",
			pat, pat/3, pat, pat-(pat-1)%3, base.AddDate(-20-pat%50, 0, pat%28).Format(time.DateOnly), pat%100, pat%100, pat, 1+pat%2, 1+pat%2, pat-(pat-1)%3,
			base.Add(-time.Duration(pat)*time.Minute).Format(time.DateTime))
	})...)

	const aptCols = "INSERT INTO appointment (AptNum, PatNum, AptStatus, Pattern, Confirmed, TimeLocked, Op, Note, ProvNum, ProvHyg, AptDateTime, NextAptNum, UnschedStatus, IsNewPatient, ProcDescript, Assistant, ClinicNum, IsHygiene, DateTStamp, DateTimeArrived, DateTimeSeated, DateTimeDismissed, InsPlan1, InsPlan2, ProcsColored, ColorOverride, AppointmentTypeNum, SecUserNumEntry, SecDateTEntry, Priority, ProvBarText, PatternSecondary, SecurityHash, ItemOrderPlanned) VALUES "
	confirmed := []int{19, 24, 21, 20, 22}
	stmts = append(stmts, batched(aptCols, sz.appointments, func(b *strings.Builder, i int) {
		apt := i + 1
		when := base.AddDate(0, 0, i%14).Add(time.Duration(i%16) * 30 * time.Minute)
		stamp := base.Add(-14 * 24 * time.Hour).Add(time.Duration(i) * 97 * time.Second)
		fmt.Fprintf(b, "(%d, %d, %d, '//XXXX//', %d, 0, %d, 'Synthetic note %d', %d, %d, '%s', 0, 0, 0, 'PerEx, Pro', 0, %d, 0, '%s', '0001-01-01 00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00', 0, 0, '', 0, 0, 0, '%s', 0, '', '', '', 0)",
			apt, 1+i%sz.patients, 1+i%5, confirmed[i%len(confirmed)], 1+i%6, apt, 1+i%2, 3+i%2, when.Format(time.DateTime), 1+i%2,
			stamp.Format(time.DateTime), stamp.Format(time.DateTime))
	})...)

	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("load: %.60s…: %w", s, err)
		}
	}
	return nil
}

// batched builds multi-row INSERTs of at most 200 rows each.
func batched(head string, n int, row func(b *strings.Builder, i int)) []string {
	const per = 200
	var out []string
	for start := 0; start < n; start += per {
		var b strings.Builder
		b.WriteString(head)
		for i := start; i < min(n, start+per); i++ {
			if i > start {
				b.WriteString(", ")
			}
			row(&b, i)
		}
		out = append(out, b.String())
	}
	return out
}
