package catalogue

import (
	"embed"
	"encoding/json"
)

// examples holds one element of each event as odsim sends it: the first element of its golden payload
// (testdata/golden/<Event>.json), copied here because the go tool does not embed testdata; a test
// fails when a copy differs from its golden.
//
//go:embed examples/*.json
var examples embed.FS

// Example returns one element of e as odsim sends it, for the OpenAPI document, or nil.
func Example(e *Event) json.RawMessage {
	b, err := examples.ReadFile("examples/" + e.Name + ".json")
	if err != nil {
		return nil
	}
	return json.RawMessage(b)
}
