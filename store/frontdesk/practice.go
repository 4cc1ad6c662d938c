package frontdesk

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Schedule types (ScheduleType) Open Dental stores as integers.
const (
	schedProvider = 1
	schedBlockout = 2
	schedEmployee = 3
)

// AddProvider adds a provider as the provider edit window does: Abbr is required, the provider goes
// last in the list (ItemOrder), and the specialty is the first one defined unless given.
func (d *Desk) AddProvider(ctx context.Context, set Set) (int64, error) {
	t := mustTable("provider")
	var num int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		vals, err := normalize(ctx, tx, t, set, true)
		if err != nil {
			return err
		}
		if v, _ := get(vals, "Abbr"); v == nil || strings.TrimSpace(v.(string)) == "" {
			return refuse("a new provider needs an abbreviation (Abbr)")
		}
		if key, ok := get(vals, "ProvNum"); ok {
			if err := mustNotExist(ctx, tx, t, key.(int64)); err != nil {
				return err
			}
		}
		if !has(vals, "Specialty") {
			sp, err := firstDef(ctx, tx, DefProviderSpecialties)
			if err != nil {
				return err
			}
			vals = withDefault(t, vals, "Specialty", sp)
		}
		if !has(vals, "ItemOrder") {
			order, err := nextItemOrder(ctx, tx, "provider")
			if err != nil {
				return err
			}
			vals = withDefault(t, vals, "ItemOrder", order)
		}
		num, err = insertRow(ctx, tx, t, vals)
		return err
	})
	return num, err
}

// UpdateProvider edits a provider: only the columns whose value changes are written.
func (d *Desk) UpdateProvider(ctx context.Context, provNum int64, set Set) (bool, error) {
	return d.updateSimple(ctx, "provider", provNum, set)
}

// AddOperatory adds an operatory (a chair of the appointment book) at the end of the list: OpName is
// required and the abbreviation defaults to it.
func (d *Desk) AddOperatory(ctx context.Context, set Set) (int64, error) {
	t := mustTable("operatory")
	var num int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		vals, err := normalize(ctx, tx, t, set, true)
		if err != nil {
			return err
		}
		name, _ := get(vals, "OpName")
		if name == nil || strings.TrimSpace(name.(string)) == "" {
			return refuse("a new operatory needs a name (OpName)")
		}
		if key, ok := get(vals, "OperatoryNum"); ok {
			if err := mustNotExist(ctx, tx, t, key.(int64)); err != nil {
				return err
			}
		}
		vals = withDefault(t, vals, "Abbrev", name)
		if !has(vals, "ItemOrder") {
			order, err := nextItemOrder(ctx, tx, "operatory")
			if err != nil {
				return err
			}
			vals = withDefault(t, vals, "ItemOrder", order)
		}
		num, err = insertRow(ctx, tx, t, vals)
		return err
	})
	return num, err
}

// UpdateOperatory edits an operatory: only the columns whose value changes are written.
func (d *Desk) UpdateOperatory(ctx context.Context, opNum int64, set Set) (bool, error) {
	return d.updateSimple(ctx, "operatory", opNum, set)
}

func nextItemOrder(ctx context.Context, q querier, table string) (int64, error) {
	var n int64
	if err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(ItemOrder) + 1, 0) FROM `"+mustTable(table).Name+"`").Scan(&n); err != nil {
		return 0, fmt.Errorf("read %s order: %w", table, err)
	}
	return n, nil
}

// AddSchedule adds a schedule block (practice note or holiday, provider hours, blockout, employee
// hours) and links it to operatories (scheduleop rows). SchedDate is required; a provider block needs
// ProvNum, a blockout BlockoutType, an employee block EmployeeNum.
func (d *Desk) AddSchedule(ctx context.Context, set Set, ops []int64) (int64, error) {
	t := mustTable("schedule")
	var num int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		vals, err := normalize(ctx, tx, t, set, true)
		if err != nil {
			return err
		}
		if v, ok := get(vals, "SchedDate"); !ok || strings.HasPrefix(v.(string), "0001-01-01") {
			return refuse("a schedule needs a date (SchedDate)")
		}
		if key, ok := get(vals, "ScheduleNum"); ok {
			if err := mustNotExist(ctx, tx, t, key.(int64)); err != nil {
				return err
			}
		}
		if err := checkSchedule(vals); err != nil {
			return err
		}
		if err := checkOps(ctx, tx, ops); err != nil {
			return err
		}
		if num, err = insertRow(ctx, tx, t, vals); err != nil {
			return err
		}
		return linkOps(ctx, tx, num, ops)
	})
	return num, err
}

// UpdateSchedule edits a schedule block; when ops is not nil it also replaces the block's operatory
// links. Editing only the links leaves schedule.DateTStamp alone, so no Schedule event fires for it.
func (d *Desk) UpdateSchedule(ctx context.Context, schedNum int64, set Set, ops []int64) (bool, error) {
	t := mustTable("schedule")
	var changed bool
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if err := mustExist(ctx, tx, "schedule", schedNum); err != nil {
			return err
		}
		vals, err := normalize(ctx, tx, t, set, false)
		if err != nil {
			return err
		}
		if err := checkOps(ctx, tx, ops); err != nil {
			return err
		}
		cols, err := updateRow(ctx, tx, t, schedNum, vals)
		if err != nil {
			return err
		}
		changed = len(cols) > 0
		if ops == nil {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM scheduleop WHERE ScheduleNum = ?", schedNum); err != nil {
			return fmt.Errorf("replace operatories of schedule %d: %w", schedNum, err)
		}
		return linkOps(ctx, tx, schedNum, ops)
	})
	return changed, err
}

// checkSchedule refuses a block whose type lacks the column that type needs.
func checkSchedule(vals []value) error {
	typ, _ := get(vals, "SchedType")
	need := map[int64]string{schedProvider: "ProvNum", schedBlockout: "BlockoutType", schedEmployee: "EmployeeNum"}
	if t, ok := typ.(int64); ok && need[t] != "" {
		if v, _ := get(vals, need[t]); v == nil || v.(int64) == 0 {
			return refuse("a %s schedule needs %s", []string{"", "Provider", "Blockout", "Employee"}[t], need[t])
		}
	}
	return nil
}

func checkOps(ctx context.Context, q querier, ops []int64) error {
	for _, op := range ops {
		if err := mustExist(ctx, q, "operatory", op); err != nil {
			return err
		}
	}
	return nil
}

func linkOps(ctx context.Context, q querier, schedNum int64, ops []int64) error {
	for _, op := range ops {
		if _, err := q.ExecContext(ctx, "INSERT INTO scheduleop (ScheduleNum, OperatoryNum) VALUES (?, ?)", schedNum, op); err != nil {
			return fmt.Errorf("link schedule %d to operatory %d: %w", schedNum, op, err)
		}
	}
	return nil
}
