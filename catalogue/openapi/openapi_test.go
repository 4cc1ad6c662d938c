package openapi

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/schema_validation"
)

var update = flag.Bool("update", false, "rewrite docs/openapi.json from the code")

// docs/openapi.json is what the code generates: the committed document never drifts from the catalogue,
// the Subscriptions API or the control API's Go types. -update (or odsim catalogue --format openapi)
// rewrites it.
func TestCommittedDocumentIsGenerated(t *testing.T) {
	t.Parallel()
	got, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "openapi.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Skip("-update: rewrote docs/openapi.json")
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/openapi.json differs from what the code generates: run go run ./cmd/odsim catalogue --format openapi > docs/openapi.json (or go test ./catalogue/openapi -update)")
	}
}

// The document is valid OpenAPI 3.1, by libopenapi-validator (the OpenAPI 3.1 schema, and a model
// built with every $ref resolved).
func TestDocumentIsValidOpenAPI31(t *testing.T) {
	t.Parallel()
	b, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(b)
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetVersion(); v != "3.1.0" {
		t.Errorf("version %q", v)
	}
	if ok, errs := schema_validation.ValidateOpenAPIDocument(doc); !ok {
		for _, e := range errs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s (%s): %s", se.FieldPath, se.KeywordLocation, se.Reason)
			}
		}
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("build model: %v", err)
	}
	if n := model.Model.Webhooks.Len(); n != 9 {
		t.Errorf("%d webhooks, want one per WatchTable and UiEventType (9)", n)
	}
	if ok, errs := validator.NewValidator(doc); len(errs) > 0 || ok == nil {
		t.Errorf("validator: %v", errs)
	}
}
