package frontdesk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/odsim/odsim/subscriptions"
)

// Appointment statuses (ApptStatus) and history actions (HistAppointmentAction) Open Dental stores as
// integers.
const (
	aptScheduled   = 1
	aptComplete    = 2
	aptUnschedList = 3
	aptBroken      = 5
	aptPlanned     = 6

	histCreated   = 0
	histChanged   = 1
	histMissed    = 2
	histCancelled = 3
	histDeleted   = 4
)

// DefaultPattern is an appointment's length when none is given: 60 minutes in Open Dental's 5-minute
// slots, the provider's time (X) between the assistant's (/).
const DefaultPattern = "/XXXXXXXXXX/"

// Milestone is a moment of a visit that Open Dental records in the appointment's DateTime* columns.
type Milestone int

// The milestones of a visit.
const (
	Arrived Milestone = iota
	Seated
	Dismissed
)

// column is the DateTime* column that records the milestone.
func (m Milestone) column() string {
	return [...]string{"DateTimeArrived", "DateTimeSeated", "DateTimeDismissed"}[m]
}

// trigger names the confirmation status Open Dental's appointment preferences tie to the milestone
// (Time Arrived/Seated/Dismissed triggers): choosing it stamps the time, so marking the time shows it.
func (m Milestone) trigger() DefName {
	return [...]DefName{"Arrived", "In Room", "FrontDesk"}[m]
}

func (m Milestone) String() string { return [...]string{"arrived", "seated", "dismissed"}[m] }

// opInfo is what booking needs to know about an operatory.
type opInfo struct {
	clinic, dentist, hygienist int64
	hygiene                    bool
}

func readOp(ctx context.Context, q querier, num int64) (opInfo, error) {
	var o opInfo
	var hyg int
	err := q.QueryRowContext(ctx, "SELECT ClinicNum, ProvDentist, ProvHygienist, IsHygiene FROM operatory WHERE OperatoryNum = ?", num).
		Scan(&o.clinic, &o.dentist, &o.hygienist, &hyg)
	if errors.Is(err, sql.ErrNoRows) {
		return o, refuse("operatory %d does not exist", num)
	}
	if err != nil {
		return o, fmt.Errorf("read operatory %d: %w", num, err)
	}
	o.hygiene = hyg != 0
	return o, nil
}

// apptDefaults completes a new appointment's values as Open Dental's appointment edit window fills
// them: scheduled, the first confirmation status, a 60-minute pattern, the operatory's clinic, dentist
// and (in a hygiene chair) hygienist, and the entry user and time.
type apptDefaults struct {
	confirmed int64
	provider  int64
	ops       map[int64]opInfo
	user      int64
}

func newApptDefaults(ctx context.Context, q querier, user int64) (*apptDefaults, error) {
	conf, err := firstDef(ctx, q, DefApptConfirmed)
	if err != nil {
		return nil, err
	}
	prov, err := firstProvider(ctx, q)
	if err != nil {
		return nil, err
	}
	return &apptDefaults{confirmed: conf, provider: prov, ops: map[int64]opInfo{}, user: user}, nil
}

func (a *apptDefaults) complete(ctx context.Context, q querier, t *Table, vals []value) ([]value, error) {
	if v, _ := get(vals, "PatNum"); v == nil || v.(int64) == 0 {
		return nil, refuse("an appointment needs a patient (PatNum)")
	}
	status := int64(aptScheduled)
	if v, ok := get(vals, "AptStatus"); ok {
		status = v.(int64)
	}
	opNum := int64(0)
	if v, ok := get(vals, "Op"); ok {
		opNum = v.(int64)
	}
	if status == aptScheduled || status == aptComplete {
		if opNum == 0 {
			return nil, refuse("a scheduled appointment needs an operatory (Op)")
		}
		if v, ok := get(vals, "AptDateTime"); !ok || strings.HasPrefix(v.(string), "0001-01-01") {
			return nil, refuse("a scheduled appointment needs a date and time (AptDateTime)")
		}
	}
	var op opInfo
	if opNum != 0 {
		var ok bool
		if op, ok = a.ops[opNum]; !ok {
			var err error
			if op, err = readOp(ctx, q, opNum); err != nil {
				return nil, err
			}
			a.ops[opNum] = op
		}
	}
	prov := op.dentist
	if prov == 0 {
		prov = a.provider
	}
	vals = withDefault(t, vals, "AptStatus", status)
	vals = withDefault(t, vals, "Confirmed", a.confirmed)
	vals = withDefault(t, vals, "Pattern", DefaultPattern)
	vals = withDefault(t, vals, "ProvNum", prov)
	if op.hygiene {
		vals = withDefault(t, vals, "ProvHyg", op.hygienist)
	}
	vals = withDefault(t, vals, "IsHygiene", boolInt(op.hygiene))
	vals = withDefault(t, vals, "ClinicNum", op.clinic)
	vals = withDefault(t, vals, "SecUserNumEntry", a.user)
	vals = withDefault(t, vals, "SecDateTEntry", sqlExpr("NOW()"))
	return vals, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// BookAppointment books an appointment: a full row, then the "Created" history row Open Dental's
// appointment window writes. PatNum is required, and Op and AptDateTime for a scheduled appointment.
func (d *Desk) BookAppointment(ctx context.Context, set Set) (int64, error) {
	t := mustTable("appointment")
	var num int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		vals, err := normalize(ctx, tx, t, set, true)
		if err != nil {
			return err
		}
		if key, ok := get(vals, "AptNum"); ok {
			if err := mustNotExist(ctx, tx, t, key.(int64)); err != nil {
				return err
			}
		}
		defs, err := newApptDefaults(ctx, tx, d.user)
		if err != nil {
			return err
		}
		if vals, err = defs.complete(ctx, tx, t, vals); err != nil {
			return err
		}
		if num, err = insertRow(ctx, tx, t, vals); err != nil {
			return err
		}
		_, err = d.history(ctx, tx, num, histCreated)
		return err
	})
	return num, err
}

// history copies appointment aptNum into histappointment with the given action, as
// HistAppointments.CreateHistoryEntry does: every appointment column, the user, NOW() and ApptSource
// None (a person at a workstation, not an eService). The history row's DateTStamp is left to MySQL;
// AppointmentDeleted events are the rows with action Deleted.
func (d *Desk) history(ctx context.Context, q querier, aptNum int64, action int) (int64, error) {
	res, err := q.ExecContext(ctx, histInsert, d.user, action, aptNum)
	if err != nil {
		return 0, fmt.Errorf("write history of appointment %d: %w", aptNum, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("write history of appointment %d: %w", aptNum, err)
	}
	return id, nil
}

// histInsert is built once from the two tables' columns: the columns histappointment shares with
// appointment, copied by INSERT ... SELECT.
var histInsert = func() string {
	hist, appt := mustTable("histappointment"), mustTable("appointment")
	var cols, exprs []string
	for _, c := range hist.Columns {
		switch c.Name {
		case "HistApptNum", "HistUserNum", "HistDateTStamp", "HistApptAction", "ApptSource", "DateTStamp":
			continue
		}
		ac, ok := appt.Column(c.Name)
		if !ok {
			continue
		}
		cols = append(cols, "`"+c.Name+"`")
		expr := "`" + ac.Name + "`"
		if ac.nullable {
			expr = "COALESCE(" + expr + ", '')" // histappointment's copies are NOT NULL
		}
		exprs = append(exprs, expr)
	}
	return "INSERT INTO histappointment (HistUserNum, HistDateTStamp, HistApptAction, ApptSource, " + strings.Join(cols, ", ") +
		") SELECT ?, NOW(), ?, 0, " + strings.Join(exprs, ", ") + " FROM appointment WHERE AptNum = ?"
}()

// apptState is what the appointment actions check before they change an appointment.
type apptState struct {
	status int64
	op     int64
}

// statusNames are ApptStatus's names, as the Appointment payload shows them.
var statusNames = payloadEnum(subscriptions.Appointment, "AptStatus")

func statusName(s int64) string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprint(s)
}

// change runs one appointment action: it reads the appointment's state, lets plan decide the values to
// write (or refuse), writes those that differ and, when anything changed, the history row. It reports
// whether anything changed.
func (d *Desk) change(ctx context.Context, aptNum int64, action int, plan func(ctx context.Context, q querier, s apptState) (Set, error)) (bool, error) {
	t := mustTable("appointment")
	var changed bool
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var s apptState
		err := tx.QueryRowContext(ctx, "SELECT AptStatus, Op FROM appointment WHERE AptNum = ?", aptNum).Scan(&s.status, &s.op)
		if errors.Is(err, sql.ErrNoRows) {
			return refuse("appointment %d does not exist", aptNum)
		}
		if err != nil {
			return fmt.Errorf("read appointment %d: %w", aptNum, err)
		}
		set, err := plan(ctx, tx, s)
		if err != nil {
			return err
		}
		vals, err := normalize(ctx, tx, t, set, false)
		if err != nil {
			return err
		}
		cols, err := updateRow(ctx, tx, t, aptNum, vals)
		if err != nil || len(cols) == 0 {
			return err
		}
		changed = true
		_, err = d.history(ctx, tx, aptNum, action)
		return err
	})
	return changed, err
}

// onlyIn refuses an action on an appointment whose status is not one of allowed.
func onlyIn(aptNum int64, s apptState, what string, allowed ...int64) error {
	for _, a := range allowed {
		if s.status == a {
			return nil
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = statusName(a)
	}
	return refuse("appointment %d is %s; only a %s appointment can be %s", aptNum, statusName(s.status), strings.Join(names, " or "), what)
}

// UpdateAppointment edits an appointment's columns (note, procedures, length, ...) and writes a
// "Changed" history row when anything changed.
func (d *Desk) UpdateAppointment(ctx context.Context, aptNum int64, set Set) (bool, error) {
	return d.change(ctx, aptNum, histChanged, func(context.Context, querier, apptState) (Set, error) { return set, nil })
}

// ConfirmAppointment sets an appointment's confirmation status (a definition of category
// ApptConfirmed, by DefNum or DefName). Setting the status it already has changes nothing and fires no
// event, as in Open Dental.
func (d *Desk) ConfirmAppointment(ctx context.Context, aptNum int64, confirmed any) (bool, error) {
	return d.change(ctx, aptNum, histChanged, func(context.Context, querier, apptState) (Set, error) {
		return Set{{"Confirmed", confirmed}}, nil
	})
}

// MarkTime records when the patient arrived, was seated or was dismissed. Unless confirmed is given
// (nil), the confirmation status becomes the one Open Dental's time triggers tie to the milestone
// (Arrived, In Room, FrontDesk) when the database defines it.
func (d *Desk) MarkTime(ctx context.Context, aptNum int64, m Milestone, at time.Time, confirmed any) (bool, error) {
	return d.change(ctx, aptNum, histChanged, func(ctx context.Context, q querier, s apptState) (Set, error) {
		if err := onlyIn(aptNum, s, "marked "+m.String(), aptScheduled, aptComplete); err != nil {
			return nil, err
		}
		set := Set{{m.column(), at}}
		switch {
		case confirmed != nil:
			set = append(set, Assign{"Confirmed", confirmed})
		default:
			num, err := defNum(ctx, q, DefApptConfirmed, string(m.trigger()))
			if err != nil {
				return nil, err
			}
			if num != 0 {
				set = append(set, Assign{"Confirmed", num})
			}
		}
		return set, nil
	})
}

// CompleteAppointment sets a scheduled appointment complete.
func (d *Desk) CompleteAppointment(ctx context.Context, aptNum int64) (bool, error) {
	return d.change(ctx, aptNum, histChanged, func(_ context.Context, _ querier, s apptState) (Set, error) {
		if err := onlyIn(aptNum, s, "completed", aptScheduled, aptComplete); err != nil {
			return nil, err
		}
		return Set{{"AptStatus", int64(aptComplete)}}, nil
	})
}

// BreakAppointment breaks a scheduled appointment (status Broken); Open Dental asks whether it was
// missed or cancelled and records that as the history action.
func (d *Desk) BreakAppointment(ctx context.Context, aptNum int64, cancelled bool) (bool, error) {
	action := histMissed
	if cancelled {
		action = histCancelled
	}
	return d.change(ctx, aptNum, action, func(_ context.Context, _ querier, s apptState) (Set, error) {
		if err := onlyIn(aptNum, s, "broken", aptScheduled); err != nil {
			return nil, err
		}
		return Set{{"AptStatus", int64(aptBroken)}}, nil
	})
}

// RescheduleAppointment moves an appointment to set's AptDateTime (and Op, providers, ... when given),
// as dragging it in the appointment book or from the unscheduled list does: a broken or unscheduled
// appointment becomes scheduled again, and a move to another operatory takes that operatory's clinic.
func (d *Desk) RescheduleAppointment(ctx context.Context, aptNum int64, set Set) (bool, error) {
	if _, ok := set.Get("AptDateTime"); !ok {
		return false, refuse("rescheduling needs the new date and time (AptDateTime)")
	}
	return d.change(ctx, aptNum, histChanged, func(ctx context.Context, q querier, s apptState) (Set, error) {
		if err := onlyIn(aptNum, s, "rescheduled", aptScheduled, aptBroken, aptUnschedList); err != nil {
			return nil, err
		}
		out := append(Set{}, set...)
		if s.status != aptScheduled {
			out = append(out, Assign{"AptStatus", int64(aptScheduled)})
		}
		if v, ok := set.Get("Op"); ok {
			if _, clinicGiven := set.Get("ClinicNum"); !clinicGiven {
				num, ok := v.(int64)
				if !ok {
					return nil, refuse("appointment.Op: %v is not an operatory number", v)
				}
				op, err := readOp(ctx, q, num)
				if err != nil {
					return nil, err
				}
				out = append(out, Assign{"ClinicNum", op.clinic})
			}
		}
		return out, nil
	})
}

// UnscheduleAppointment sends a scheduled or broken appointment to the unscheduled list, with an
// unscheduled status (category RecallUnschedStatus, by DefNum or DefName) when given.
func (d *Desk) UnscheduleAppointment(ctx context.Context, aptNum int64, unschedStatus any) (bool, error) {
	return d.change(ctx, aptNum, histChanged, func(_ context.Context, _ querier, s apptState) (Set, error) {
		if err := onlyIn(aptNum, s, "sent to the unscheduled list", aptScheduled, aptBroken, aptUnschedList); err != nil {
			return nil, err
		}
		set := Set{{"AptStatus", int64(aptUnschedList)}}
		if unschedStatus != nil {
			set = append(set, Assign{"UnschedStatus", unschedStatus})
		}
		return set, nil
	})
}

// DeleteAppointment deletes an appointment as Appointments.Delete does: it copies the row into
// histappointment with action Deleted (the source of the AppointmentDeleted event), clears
// appointment.NextAptNum where it pointed at this one, then deletes the row. It returns the
// HistApptNum of the history row.
func (d *Desk) DeleteAppointment(ctx context.Context, aptNum int64) (int64, error) {
	var hist int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if err := mustExist(ctx, tx, "appointment", aptNum); err != nil {
			return err
		}
		var err error
		if hist, err = d.history(ctx, tx, aptNum, histDeleted); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE appointment SET NextAptNum = 0 WHERE NextAptNum = ?", aptNum); err != nil {
			return fmt.Errorf("unlink appointment %d: %w", aptNum, err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM appointment WHERE AptNum = ?", aptNum); err != nil {
			return fmt.Errorf("delete appointment %d: %w", aptNum, err)
		}
		return nil
	})
	return hist, err
}

// ImportBatchRows is how many appointments one INSERT statement of ImportAppointments carries: small
// enough for the embedded engine's statement handling, large enough that 5,000 rows take few trips.
const ImportBatchRows = 500

// ImportAppointments writes many appointments at once, as a conversion or import tool does: full rows
// with the same defaults as BookAppointment, in multi-row INSERTs of ImportBatchRows inside one
// transaction, and no history rows (an import is not an edit in the appointment window). Every
// patient, operatory and provider the rows name is checked first. It returns the new AptNums' range.
func (d *Desk) ImportAppointments(ctx context.Context, rows []Set) (first, last int64, err error) {
	t := mustTable("appointment")
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		defs, err := newApptDefaults(ctx, tx, d.user)
		if err != nil {
			return err
		}
		all := make([][]value, len(rows))
		refs := map[*Column]map[int64]bool{}
		for i, set := range rows {
			vals, err := convertAll(ctx, tx, t, set)
			if err != nil {
				return fmt.Errorf("row %d: %w", i+1, err)
			}
			for _, v := range vals {
				if n, ok := v.v.(int64); ok && n != 0 && (v.col.Ref != "" || v.col.DefCategory != 0) {
					if refs[v.col] == nil {
						refs[v.col] = map[int64]bool{}
					}
					refs[v.col][n] = true
				}
			}
			all[i] = vals
		}
		for c, nums := range refs {
			for n := range nums {
				if err := checkRef(ctx, tx, t, c, n); err != nil {
					return err
				}
			}
		}
		for i, vals := range all {
			if all[i], err = defs.complete(ctx, tx, t, vals); err != nil {
				return fmt.Errorf("row %d: %w", i+1, err)
			}
		}
		for start := 0; start < len(all); start += ImportBatchRows {
			end := min(start+ImportBatchRows, len(all))
			var q strings.Builder
			var args []any
			for i, vals := range all[start:end] {
				cols, marks, a := rowParts(t, vals)
				if i == 0 {
					q.WriteString("INSERT INTO appointment (" + cols + ") VALUES ")
				} else {
					q.WriteByte(',')
				}
				q.WriteString("(" + marks + ")")
				args = append(args, a...)
			}
			res, err := tx.ExecContext(ctx, q.String(), args...)
			if err != nil {
				return fmt.Errorf("import appointments %d-%d: %w", start+1, end, err)
			}
			id, err := res.LastInsertId() // the first row's number, as MySQL reports it
			if err != nil {
				return fmt.Errorf("import appointments %d-%d: %w", start+1, end, err)
			}
			if start == 0 {
				first = id
			}
			last = id + int64(end-start) - 1
		}
		return nil
	})
	return first, last, err
}

// convertAll converts a Set like normalize but leaves reference checks to the caller, which checks
// each distinct value once.
func convertAll(ctx context.Context, q querier, t *Table, set Set) ([]value, error) {
	out := make([]value, 0, len(set))
	for _, a := range set {
		c, ok := t.Column(a.Column)
		if !ok {
			return nil, refuse("%s has no column %s", t.Name, a.Column)
		}
		if c.Kind == Stamp || c.PrimaryKey {
			return nil, refuse("%s.%s cannot be imported", t.Name, c.Name)
		}
		v, err := convert(ctx, q, t, c, a.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, value{c, v})
	}
	return out, nil
}
