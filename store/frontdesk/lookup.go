package frontdesk

import (
	"context"
	"fmt"
)

// The lookups below give generators (bulk import, the synthetic front desk) the practice's existing rows
// to draw from. Each reads at most MaxLookup rows: the practice's own size, not a whole large table.

// MaxLookup bounds every lookup.
const MaxLookup = 5000

// PatientInfo is an active patient as the generators need it.
type PatientInfo struct {
	PatNum    int64
	ClinicNum int64
	PriProv   int64
}

// Patients lists active patients (PatStatus Patient), lowest PatNum first.
func (d *Desk) Patients(ctx context.Context) ([]PatientInfo, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT PatNum, ClinicNum, PriProv FROM patient WHERE PatStatus = 0 ORDER BY PatNum LIMIT ?", MaxLookup)
	if err != nil {
		return nil, fmt.Errorf("list patients: %w", err)
	}
	defer rows.Close()
	var out []PatientInfo
	for rows.Next() {
		var p PatientInfo
		if err := rows.Scan(&p.PatNum, &p.ClinicNum, &p.PriProv); err != nil {
			return nil, fmt.Errorf("list patients: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list patients: %w", err)
	}
	return out, nil
}

// OperatoryInfo is a visible operatory as the generators need it.
type OperatoryInfo struct {
	OperatoryNum int64
	ClinicNum    int64
	ProvDentist  int64
	ProvHyg      int64
	IsHygiene    bool
}

// Operatories lists the visible operatories in appointment-book order.
func (d *Desk) Operatories(ctx context.Context) ([]OperatoryInfo, error) {
	rows, err := d.db.QueryContext(ctx,
		"SELECT OperatoryNum, ClinicNum, ProvDentist, ProvHygienist, IsHygiene FROM operatory WHERE IsHidden = 0 ORDER BY ItemOrder, OperatoryNum LIMIT ?", MaxLookup)
	if err != nil {
		return nil, fmt.Errorf("list operatories: %w", err)
	}
	defer rows.Close()
	var out []OperatoryInfo
	for rows.Next() {
		var o OperatoryInfo
		var hyg int
		if err := rows.Scan(&o.OperatoryNum, &o.ClinicNum, &o.ProvDentist, &o.ProvHyg, &hyg); err != nil {
			return nil, fmt.Errorf("list operatories: %w", err)
		}
		o.IsHygiene = hyg != 0
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list operatories: %w", err)
	}
	return out, nil
}

// PatFieldDef is a visible patient field definition with its pick-list items.
type PatFieldDef struct {
	Name  string
	Type  int // PatFieldType: 0 Text, 1 PickList, 2 Date, 3 Checkbox, 4 Currency, ...
	Items []string
}

// PatFieldDefs lists the visible patient field definitions.
func (d *Desk) PatFieldDefs(ctx context.Context) ([]PatFieldDef, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT PatFieldDefNum, FieldName, FieldType FROM patfielddef WHERE IsHidden = 0 ORDER BY ItemOrder LIMIT ?", MaxLookup)
	if err != nil {
		return nil, fmt.Errorf("list patient field definitions: %w", err)
	}
	defer rows.Close()
	var out []PatFieldDef
	var nums []int64
	for rows.Next() {
		var f PatFieldDef
		var num int64
		if err := rows.Scan(&num, &f.Name, &f.Type); err != nil {
			return nil, fmt.Errorf("list patient field definitions: %w", err)
		}
		out = append(out, f)
		nums = append(nums, num)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list patient field definitions: %w", err)
	}
	rows.Close()
	for i, num := range nums {
		if out[i].Type != fieldPickList {
			continue
		}
		items, err := d.pickItems(ctx, num)
		if err != nil {
			return nil, err
		}
		out[i].Items = items
	}
	return out, nil
}

func (d *Desk) pickItems(ctx context.Context, defNum int64) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT Name FROM patfieldpickitem WHERE PatFieldDefNum = ? AND IsHidden = 0 ORDER BY ItemOrder LIMIT ?", defNum, MaxLookup)
	if err != nil {
		return nil, fmt.Errorf("list pick-list items: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list pick-list items: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list pick-list items: %w", err)
	}
	return out, nil
}
