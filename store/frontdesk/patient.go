package frontdesk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Patient statuses and genders Open Dental stores as integers (PatientStatus, PatientGender).
const (
	patStatusArchived = 3
	patStatusDeceased = 5
	genderUnknown     = 2
)

// AddPatient adds a patient as Open Dental's Add Patient does (Patients.CreateNewPatient): a full row
// with LName and FName required, Gender Unknown, the first billing type and the first active provider
// unless given, the entry date from the database clock; then, unless a Guarantor was given, the new
// patient becomes the guarantor of a family of their own (Open Dental inserts, then updates Guarantor).
func (d *Desk) AddPatient(ctx context.Context, set Set) (int64, error) {
	t := mustTable("patient")
	var num int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		vals, err := normalize(ctx, tx, t, set, true)
		if err != nil {
			return err
		}
		for _, name := range []string{"LName", "FName"} {
			if v, _ := get(vals, name); v == nil || strings.TrimSpace(v.(string)) == "" {
				return refuse("a new patient needs %s", name)
			}
		}
		if key, ok := get(vals, "PatNum"); ok {
			if err := mustNotExist(ctx, tx, t, key.(int64)); err != nil {
				return err
			}
		}
		if !has(vals, "BillingType") {
			bt, err := firstDef(ctx, tx, DefBillingTypes)
			if err != nil {
				return err
			}
			vals = withDefault(t, vals, "BillingType", bt)
		}
		if !has(vals, "PriProv") {
			prov, err := firstProvider(ctx, tx)
			if err != nil {
				return err
			}
			vals = withDefault(t, vals, "PriProv", prov)
		}
		vals = withDefault(t, vals, "Gender", int64(genderUnknown))
		vals = withDefault(t, vals, "SecUserNumEntry", d.user)
		vals = withDefault(t, vals, "SecDateEntry", sqlExpr("CURDATE()"))
		num, err = insertRow(ctx, tx, t, vals)
		if err != nil {
			return err
		}
		if !has(vals, "Guarantor") {
			if _, err := tx.ExecContext(ctx, "UPDATE patient SET Guarantor = PatNum WHERE PatNum = ?", num); err != nil {
				return fmt.Errorf("set guarantor of patient %d: %w", num, err)
			}
		}
		return nil
	})
	return num, err
}

// UpdatePatient edits a patient: only the columns whose value changes are written.
func (d *Desk) UpdatePatient(ctx context.Context, patNum int64, set Set) (bool, error) {
	return d.updateSimple(ctx, "patient", patNum, set)
}

// updateSimple edits row num of a table without side effects and reports whether anything changed.
func (d *Desk) updateSimple(ctx context.Context, table string, num int64, set Set) (bool, error) {
	t := mustTable(table)
	var changed bool
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if err := mustExist(ctx, tx, table, num); err != nil {
			return err
		}
		vals, err := normalize(ctx, tx, t, set, false)
		if err != nil {
			return err
		}
		cols, err := updateRow(ctx, tx, t, num, vals)
		changed = len(cols) > 0
		return err
	})
	return changed, err
}

// mustNotExist refuses a chosen primary key that is taken.
func mustNotExist(ctx context.Context, q querier, t *Table, num int64) error {
	ok, err := exists(ctx, q, t.Name, num)
	if err != nil {
		return err
	}
	if ok {
		return refuse("%s %d already exists", t.Name, num)
	}
	return nil
}

// firstProvider is the practice's first active, visible provider (Open Dental's default provider
// preference points at one); 0 when there is none.
func firstProvider(ctx context.Context, q querier) (int64, error) {
	var num int64
	err := q.QueryRowContext(ctx,
		"SELECT ProvNum FROM provider WHERE IsHidden = 0 AND ProvStatus = 0 ORDER BY ItemOrder, ProvNum LIMIT 1").Scan(&num)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("look up providers: %w", err)
	}
	return num, nil
}

// PatField field types (PatFieldType).
const (
	fieldPickList = 1
	fieldDate     = 2
	fieldCheckbox = 3
	fieldCurrency = 4
)

// SetPatField gives a patient's custom field a value, as the patient field edit window does: it
// updates the patient's row for that field when there is one (writing nothing when the value is the
// same) and inserts one otherwise. The field must be defined (patfielddef) and the value must suit its
// type: a visible pick-list item's name, a yyyy-MM-dd date, "1" for a checkbox, an amount for currency.
// It returns the PatFieldNum and whether anything changed.
func (d *Desk) SetPatField(ctx context.Context, patNum int64, field, fieldValue string) (int64, bool, error) {
	var num int64
	var changed bool
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if err := mustExist(ctx, tx, "patient", patNum); err != nil {
			return err
		}
		if err := checkFieldValue(ctx, tx, field, fieldValue); err != nil {
			return err
		}
		var cur sql.NullString
		err := tx.QueryRowContext(ctx,
			"SELECT PatFieldNum, FieldValue FROM patfield WHERE PatNum = ? AND FieldName = ? ORDER BY PatFieldNum LIMIT 1",
			patNum, field).Scan(&num, &cur)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			t := mustTable("patfield")
			vals := []value{}
			vals = withDefault(t, vals, "PatNum", patNum)
			vals = withDefault(t, vals, "FieldName", field)
			vals = withDefault(t, vals, "FieldValue", fieldValue)
			vals = withDefault(t, vals, "SecUserNumEntry", d.user)
			vals = withDefault(t, vals, "SecDateEntry", sqlExpr("CURDATE()"))
			num, err = insertRow(ctx, tx, t, vals)
			changed = true
			return err
		case err != nil:
			return fmt.Errorf("read patient field %q of patient %d: %w", field, patNum, err)
		}
		if cur.String == fieldValue {
			return nil
		}
		changed = true
		if _, err := tx.ExecContext(ctx, "UPDATE patfield SET FieldValue = ? WHERE PatFieldNum = ?", fieldValue, num); err != nil {
			return fmt.Errorf("update patient field %d: %w", num, err)
		}
		return nil
	})
	return num, changed, err
}

// checkFieldValue refuses a field that is not defined and a value its type does not take.
func checkFieldValue(ctx context.Context, q querier, field, value string) error {
	var defNum int64
	var typ int
	err := q.QueryRowContext(ctx, "SELECT PatFieldDefNum, FieldType FROM patfielddef WHERE FieldName = ? ORDER BY PatFieldDefNum LIMIT 1", field).Scan(&defNum, &typ)
	if errors.Is(err, sql.ErrNoRows) {
		return refuse("no patient field named %q is defined (patfielddef)", field)
	}
	if err != nil {
		return fmt.Errorf("read patient field definition %q: %w", field, err)
	}
	switch typ {
	case fieldCheckbox:
		if value != "1" {
			return refuse("patient field %q is a checkbox: its value is \"1\" (clear the field to uncheck it)", field)
		}
	case fieldDate:
		if _, err := time.Parse(time.DateOnly, value); err != nil {
			return refuse("patient field %q is a date: %q is not yyyy-MM-dd", field, value)
		}
	case fieldCurrency:
		if _, err := strconv.ParseFloat(value, 64); err != nil {
			return refuse("patient field %q is an amount: %q is not a number", field, value)
		}
	case fieldPickList:
		rows, err := q.QueryContext(ctx, "SELECT Name FROM patfieldpickitem WHERE PatFieldDefNum = ? AND IsHidden = 0 ORDER BY ItemOrder", defNum)
		if err != nil {
			return fmt.Errorf("read pick list of %q: %w", field, err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return fmt.Errorf("read pick list of %q: %w", field, err)
			}
			if n == value {
				return nil
			}
			names = append(names, n)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read pick list of %q: %w", field, err)
		}
		if len(names) > 0 {
			return refuse("patient field %q: %q is not on its pick list (%s)", field, value, strings.Join(names, ", "))
		}
	}
	return nil
}

// ClearPatField clears a patient's field. Open Dental deletes the row of a cleared field (an unchecked
// checkbox has no row), and a delete fires no PatField event: the value simply vanishes. It reports
// whether there was a row.
func (d *Desk) ClearPatField(ctx context.Context, patNum int64, field string) (bool, error) {
	var deleted bool
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if err := mustExist(ctx, tx, "patient", patNum); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM patfield WHERE PatNum = ? AND FieldName = ?", patNum, field)
		if err != nil {
			return fmt.Errorf("delete patient field %q of patient %d: %w", field, patNum, err)
		}
		n, _ := res.RowsAffected()
		deleted = n > 0
		return nil
	})
	return deleted, err
}

// MergeResult counts what a merge moved.
type MergeResult struct {
	Appointments  int64 // appointments moved to the patient merged into
	PatFields     int64 // patient fields moved
	FamilyMembers int64 // patients whose guarantor changed
}

// MergePatients merges patient from into patient into, as Open Dental's Merge Patients tool does
// (Patients.MergeTwoPatients): patient fields the target lacks move to it, and for a field both have
// with different values the target keeps its own unless preferFrom (the tool asks the user); the
// from-patient's family moves to the target's guarantor; appointments, appointment history, tooth
// initials and responsible-party and super-family links move; the from-patient is archived (unless
// deceased) and leaves any super family. Every moved row fires its ordinary event with the new PatNum.
func (d *Desk) MergePatients(ctx context.Context, from, into int64, preferFrom bool) (MergeResult, error) {
	var res MergeResult
	if from == into {
		return res, refuse("cannot merge patient %d into itself", from)
	}
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if err := mustExist(ctx, tx, "patient", from); err != nil {
			return err
		}
		if err := mustExist(ctx, tx, "patient", into); err != nil {
			return err
		}
		intoGuarantor, err := readInt(ctx, tx, "patient", "Guarantor", into)
		if err != nil {
			return err
		}
		fromFields, err := patFields(ctx, tx, from)
		if err != nil {
			return err
		}
		intoList, err := patFields(ctx, tx, into)
		if err != nil {
			return err
		}
		intoFields := map[string]patField{}
		for _, f := range intoList {
			if _, dup := intoFields[f.name]; !dup {
				intoFields[f.name] = f
			}
		}
		var move, drop []int64
		for _, f := range fromFields {
			other, ok := intoFields[f.name]
			switch {
			case !ok:
				move = append(move, f.num)
			case other.value != f.value && preferFrom:
				move = append(move, f.num)
				drop = append(drop, other.num)
			}
		}
		for _, num := range drop {
			if _, err := tx.ExecContext(ctx, "DELETE FROM patfield WHERE PatFieldNum = ?", num); err != nil {
				return fmt.Errorf("merge: delete patient field %d: %w", num, err)
			}
		}
		for _, num := range move {
			if _, err := tx.ExecContext(ctx, "UPDATE patfield SET PatNum = ? WHERE PatFieldNum = ?", into, num); err != nil {
				return fmt.Errorf("merge: move patient field %d: %w", num, err)
			}
		}
		res.PatFields = int64(len(move))

		newGuarantor := intoGuarantor
		if intoGuarantor == from {
			newGuarantor = into
		}
		if res.FamilyMembers, err = execCount(ctx, tx, "UPDATE patient SET Guarantor = ? WHERE Guarantor = ?", newGuarantor, from); err != nil {
			return fmt.Errorf("merge: move family: %w", err)
		}
		for _, fk := range []string{"appointment.PatNum", "histappointment.PatNum", "toothinitial.PatNum", "patient.ResponsParty", "patient.SuperFamily"} {
			table, column, _ := strings.Cut(fk, ".")
			n, err := execCount(ctx, tx, "UPDATE `"+table+"` SET `"+column+"` = ? WHERE `"+column+"` = ?", into, from)
			if err != nil {
				return fmt.Errorf("merge: move %s: %w", fk, err)
			}
			if fk == "appointment.PatNum" {
				res.Appointments = n
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE patient SET PatStatus = ? WHERE PatNum = ? AND PatStatus <> ?", patStatusArchived, from, patStatusDeceased); err != nil {
			return fmt.Errorf("merge: archive patient %d: %w", from, err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE patient SET SuperFamily = 0 WHERE PatNum = ? AND SuperFamily <> 0", from); err != nil {
			return fmt.Errorf("merge: leave super family: %w", err)
		}
		return nil
	})
	return res, err
}

type patField struct {
	num         int64
	name, value string
}

// patFields reads a patient's field rows in PatFieldNum order.
func patFields(ctx context.Context, q querier, patNum int64) ([]patField, error) {
	rows, err := q.QueryContext(ctx, "SELECT PatFieldNum, FieldName, FieldValue FROM patfield WHERE PatNum = ? ORDER BY PatFieldNum", patNum)
	if err != nil {
		return nil, fmt.Errorf("read patient fields of %d: %w", patNum, err)
	}
	defer rows.Close()
	var out []patField
	for rows.Next() {
		var f patField
		var name, v sql.NullString
		if err := rows.Scan(&f.num, &name, &v); err != nil {
			return nil, fmt.Errorf("read patient fields of %d: %w", patNum, err)
		}
		f.name, f.value = name.String, v.String
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read patient fields of %d: %w", patNum, err)
	}
	return out, nil
}

// execCount runs one statement and returns the rows it changed.
func execCount(ctx context.Context, q querier, query string, args ...any) (int64, error) {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
