package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/odsim/odsim/payload"
	"github.com/odsim/odsim/subscriptions"
)

// selectedQuery is how the PatientSelected UI event's body is read: one patient with the names of its
// providers, billing type, clinic and site, from the PatientSelected field table.
type selectedQuery struct {
	object *payload.Object
	sql    string
}

// patientSelected is built once from patientColumns(true) and never changed.
var patientSelected = buildSelectedQuery()

func buildSelectedQuery() selectedQuery {
	cols := patientColumns(true)
	fields := make([]payload.Field, len(cols))
	exprs := make([]string, len(cols))
	for i, c := range cols {
		fields[i], exprs[i] = c.Field, c.expr
	}
	return selectedQuery{payload.NewObject(fields), "SELECT " + strings.Join(exprs, ", ") + " FROM " + patientFrom + " WHERE t.PatNum = ?"}
}

// PatientSelectedFields returns the ordered keys of the PatientSelected body.
func PatientSelectedFields() []payload.Field { return patientSelected.object.Fields() }

// PatientSelectedBody returns the JSON object Open Dental POSTs when patient patNum is selected, or an
// error with code NotFound when there is no such patient.
func (db *DB) PatientSelectedBody(ctx context.Context, patNum int64) ([]byte, error) {
	n := len(patientSelected.object.Fields())
	raw := make([]sql.RawBytes, n)
	dest := make([]any, n)
	for i := range raw {
		dest[i] = &raw[i]
	}
	rows, err := db.db.QueryContext(ctx, patientSelected.sql, patNum)
	if err != nil {
		return nil, fmt.Errorf("read patient %d: %w", patNum, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read patient %d: %w", patNum, err)
		}
		return nil, subscriptions.Errorf(subscriptions.NotFound, "Patient %d not found.", patNum)
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, fmt.Errorf("read patient %d: %w", patNum, err)
	}
	values := make([][]byte, n)
	for i := range raw {
		values[i] = raw[i]
	}
	body := patientSelected.object.Append(nil, values)
	if rows.Next() {
		return nil, errors.New("read patient: more than one row") // PatNum is the primary key
	}
	return body, rows.Err()
}
