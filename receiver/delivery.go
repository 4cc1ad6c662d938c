package receiver

import (
	"io"

	"github.com/odsim/odsim/deliveries/jsonl"
)

// Delivery is one received request as recorded in the JSONL file (package jsonl, odsim's one delivery
// file format): enough to assert on it later or to re-send it byte for byte.
type Delivery = jsonl.Line

// ReadJSONL reads every delivery of a JSONL file written by the receiver (or by odsim serve --record).
// Blank lines are skipped; any other line that does not parse stops the read with an error naming its
// line number.
func ReadJSONL(r io.Reader) ([]Delivery, error) { return jsonl.Read(r) }
