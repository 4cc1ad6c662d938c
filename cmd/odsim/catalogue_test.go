package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// odsim catalogue prints the committed documents (docs/openapi.json, docs/events.md) and JSON Schemas;
// bad flags get a one-line error naming what is wrong.
func TestCatalogueCommand(t *testing.T) {
	t.Parallel()
	runCat := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"catalogue"}, args...), func(string) string { return "" }, nil, &out, &errOut)
		return out.String(), err
	}
	for _, tc := range []struct{ args, file string }{
		{"", "openapi.json"},
		{"--format openapi", "openapi.json"},
		{"--format markdown", "events.md"},
	} {
		got, err := runCat(strings.Fields(tc.args)...)
		if err != nil {
			t.Fatalf("catalogue %s: %v", tc.args, err)
		}
		want, err := os.ReadFile(filepath.Join("..", "..", "docs", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("catalogue %s differs from docs/%s", tc.args, tc.file)
		}
	}

	out, err := runCat("--format", "jsonschema", "--table", "PatField")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Schema string                     `json:"$schema"`
		AnyOf  []map[string]string        `json:"anyOf"`
		Defs   map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal([]byte(out), &schema); err != nil {
		t.Fatal(err)
	}
	if schema.Schema != "https://json-schema.org/draft/2020-12/schema" || len(schema.AnyOf) != 1 || schema.AnyOf[0]["$ref"] != "#/$defs/PatFieldBody" || len(schema.Defs) != 2 {
		t.Errorf("jsonschema --table PatField: %s", out)
	}

	for _, tc := range []struct{ args, want string }{
		{"--format yaml", `--format "yaml": use openapi, jsonschema or markdown`},
		{"--format jsonschema --table Claim", `--table "Claim" is not a WatchTable or UiEventType: use one of Appointment, AppointmentDeleted, Operatory, PatField, Patient, Provider, Schedule, ToothInitial, PatientSelected`},
		{"--table Patient", "--table narrows --format jsonschema only; the OpenAPI document has every event"},
	} {
		if _, err := runCat(strings.Fields(tc.args)...); err == nil || err.Error() != tc.want {
			t.Errorf("catalogue %s: error %v, want %q", tc.args, err, tc.want)
		}
	}
}
