package demo

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestRowsNameEveryColumn checks, against store/schema/opendental.sql, that every demo row names every
// column of its table in the schema's order, except the ones MySQL stamps: nothing is left to a default.
func TestRowsNameEveryColumn(t *testing.T) {
	ddl, err := os.ReadFile("../schema/opendental.sql")
	if err != nil {
		t.Fatal(err)
	}
	schema := map[string][]string{}
	var current string
	create := regexp.MustCompile("^CREATE TABLE IF NOT EXISTS `([a-z]+)`")
	column := regexp.MustCompile("^  `([A-Za-z0-9_]+)` ")
	for _, line := range strings.Split(string(ddl), "\n") {
		if m := create.FindStringSubmatch(line); m != nil {
			current = m[1]
			continue
		}
		if m := column.FindStringSubmatch(line); m != nil && current != "" {
			if m[1] != "DateTStamp" && m[1] != "SecDateTEdit" {
				schema[current] = append(schema[current], m[1])
			}
		}
	}

	d, err := build(DefaultAnchor())
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range d.tables {
		want, ok := schema[tb.name]
		if !ok {
			t.Errorf("%s: not in the schema", tb.name)
			continue
		}
		if len(tb.rows) == 0 {
			t.Errorf("%s: no rows", tb.name)
		}
		if !slices.Equal(tb.cols, want) {
			t.Errorf("%s columns:\n got %v\nwant %v", tb.name, tb.cols, want)
		}
	}
}

// TestBuildIsRepeatable builds the practice twice in one process: no map iteration order or other
// hidden state may leak into the rows.
func TestBuildIsRepeatable(t *testing.T) {
	a, err := build(DefaultAnchor())
	if err != nil {
		t.Fatal(err)
	}
	b, err := build(DefaultAnchor())
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.tables {
		if !slices.EqualFunc(a.tables[i].rows, b.tables[i].rows, func(x, y []any) bool { return slices.Equal(x, y) }) {
			t.Errorf("%s differs between two builds", a.tables[i].name)
		}
	}
}
