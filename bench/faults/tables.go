package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// tracked says, for one WatchTable, which payload key holds the row's primary key and which holds the
// version the writer stamps into the row with every change ("v123"). Versions come from one counter
// that only grows, so a delivered element proves the delivery of every change of its row whose version
// is not greater: the checker needs no clock and no second-precision timestamps.
type tracked struct {
	table   string
	pk      string // payload key of the primary key
	version string // payload key holding "v<N>"; "" when rows are never changed (history rows)
}

// trackedTables are every WatchTable, in Open Dental's enum order.
var trackedTables = []tracked{
	{"Appointment", "AptNum", "Note"},
	{"AppointmentDeleted", "HistApptNum", ""},
	{"Operatory", "OperatoryNum", "OpName"},
	{"PatField", "PatFieldNum", "FieldValue"},
	{"Patient", "PatNum", "Address"},
	{"Provider", "ProvNum", "SchedNote"},
	{"Schedule", "ScheduleNum", "Note"},
	{"ToothInitial", "ToothInitialNum", "DrawText"},
}

func lookupTracked(table string) (tracked, bool) {
	for _, t := range trackedTables {
		if t.table == table {
			return t, true
		}
	}
	return tracked{}, false
}

// versionText is how a version is written into a row.
func versionText(v int64) string { return "v" + strconv.FormatInt(v, 10) }

// element is one delivered row: its primary key and version (0 when the row has none).
type element struct {
	PK      int64 `json:"pk"`
	Version int64 `json:"v,omitempty"`
}

// elements reads the primary key and version of every element of a database event body, a JSON array
// of objects. Schedule numbers arrive as strings ("24555"), as Open Dental's Schedules GET shows them.
func elements(table string, body []byte) ([]element, error) {
	t, ok := lookupTracked(table)
	if !ok {
		return nil, fmt.Errorf("unknown WatchTable %q", table)
	}
	var rows []map[string]json.RawMessage
	if err := json.Unmarshal(body, &rows); err != nil {
		return nil, fmt.Errorf("%s body: %w", table, err)
	}
	out := make([]element, 0, len(rows))
	for i, r := range rows {
		pk, err := number(r[t.pk])
		if err != nil {
			return nil, fmt.Errorf("%s element %d: %s: %w", table, i, t.pk, err)
		}
		e := element{PK: pk}
		if t.version != "" {
			var s string
			if err := json.Unmarshal(r[t.version], &s); err != nil {
				return nil, fmt.Errorf("%s element %d: %s: %w", table, i, t.version, err)
			}
			if v, ok := strings.CutPrefix(s, "v"); ok {
				e.Version, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// number reads a JSON number or a string of digits.
func number(raw json.RawMessage) (int64, error) {
	s := strings.Trim(string(raw), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("not a whole number: %s", raw)
	}
	return n, nil
}
