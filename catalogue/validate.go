package catalogue

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Problem is one way a delivery differs from the catalogue.
type Problem struct {
	Where string // "header Event-Type", "body", "body[3].AptStatus"
	What  string
}

func (p Problem) String() string { return p.Where + ": " + p.What }

// Validator checks deliveries against the catalogue: the headers Open Dental sends, the body against
// its event's JSON Schema (draft 2020-12), and the order of each element's keys, which JSON Schema
// cannot express.
type Validator struct {
	bodies map[string]*jsonschema.Schema
}

// NewValidator compiles the catalogue's JSON Schema.
func NewValidator() (*Validator, error) {
	doc, err := marshal(JSONSchema(events))
	if err != nil {
		return nil, fmt.Errorf("encode catalogue schema: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("read catalogue schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(SchemaID, inst); err != nil {
		return nil, fmt.Errorf("load catalogue schema: %w", err)
	}
	v := &Validator{bodies: map[string]*jsonschema.Schema{}}
	for _, e := range events {
		s, err := c.Compile(SchemaID + "#/$defs/" + BodyName(e))
		if err != nil {
			return nil, fmt.Errorf("compile %s schema: %w", e.Name, err)
		}
		v.bodies[e.Name] = s
	}
	return v, nil
}

// EventOf reads the event a delivery's Event-Type header names ("WatchTable: Appointment",
// "UiEventType: PatientSelected"), or nil.
func EventOf(eventType string) *Event {
	kind, name, ok := strings.Cut(eventType, ": ")
	if !ok {
		return nil
	}
	e := ByName(name)
	if e == nil || (kind == "UiEventType") != e.UI || (kind != "UiEventType" && kind != "WatchTable") {
		return nil
	}
	return e
}

// Check checks one POST as Open Dental sends it (opendental-events.md §2): Authorization is the bare
// customer key, Workstation names the machine, Event-Type names a known event, the body is JSON of
// that event's schema with its keys in order. It returns the event (nil when Event-Type names none)
// and every problem found.
func (v *Validator) Check(h http.Header, body []byte) (*Event, []Problem) {
	var ps []Problem
	auth := h.Get("Authorization")
	switch {
	case auth == "":
		ps = append(ps, Problem{"header Authorization", "missing (Open Dental sends the customer key)"})
	case strings.ContainsAny(auth, " /"):
		ps = append(ps, Problem{"header Authorization", fmt.Sprintf("%q is not a bare customer key (Open Dental sends the key alone, without ODFHIR or the developer key)", auth)})
	}
	if h.Get("Workstation") == "" {
		ps = append(ps, Problem{"header Workstation", "missing (Open Dental sends the sending machine's name since 22.4.28)"})
	}
	et := h.Get("Event-Type")
	e := EventOf(et)
	switch {
	case et == "":
		ps = append(ps, Problem{"header Event-Type", `missing (Open Dental sends "WatchTable: <table>" or "UiEventType: <type>" since 22.4.35)`})
	case e == nil:
		ps = append(ps, Problem{"header Event-Type", fmt.Sprintf("%q names no event of the catalogue", et)})
	}
	if e == nil {
		if !json.Valid(body) {
			ps = append(ps, Problem{"body", "not JSON"})
		}
		return nil, ps
	}
	return e, append(ps, v.CheckBody(e, body)...)
}

// CheckBody checks a body against e's schema and key order.
func (v *Validator) CheckBody(e *Event, body []byte) []Problem {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return []Problem{{"body", "not JSON: " + err.Error()}}
	}
	var ps []Problem
	if err := v.bodies[e.Name].Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return []Problem{{"body", err.Error()}}
		}
		ps = leaves(ve, ps)
		// The validator's order follows map iteration: sort by element, then place, then text.
		slices.SortStableFunc(ps, func(a, b Problem) int {
			if c := cmp.Compare(elementIndex(a.Where), elementIndex(b.Where)); c != 0 {
				return c
			}
			return cmp.Or(cmp.Compare(a.Where, b.Where), cmp.Compare(a.What, b.What))
		})
	}
	return append(ps, keyOrder(e, body)...)
}

// elementIndex is n of "body[n]..." and -1 for the body itself.
func elementIndex(where string) int {
	rest, ok := strings.CutPrefix(where, "body[")
	if !ok {
		return -1
	}
	n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ']')])
	return n
}

var printer = message.NewPrinter(language.English)

// leaves flattens a validation error into one problem per failing keyword, named by the instance
// location: body[3].AptStatus.
func leaves(ve *jsonschema.ValidationError, ps []Problem) []Problem {
	if len(ve.Causes) == 0 {
		what := ve.ErrorKind.LocalizedString(printer)
		switch k := ve.ErrorKind.(type) { // counts without digit grouping
		case *kind.MaxItems:
			what = fmt.Sprintf("%d elements, more than the %d Open Dental sends in one POST", k.Got, k.Want)
		case *kind.MinItems:
			what = fmt.Sprintf("%d elements: Open Dental sends nothing when nothing changed", k.Got)
		}
		return append(ps, Problem{where(ve.InstanceLocation), what})
	}
	for _, c := range ve.Causes {
		ps = leaves(c, ps)
	}
	return ps
}

func where(loc []string) string {
	var b strings.Builder
	b.WriteString("body")
	for _, s := range loc {
		if s != "" && strings.Trim(s, "0123456789") == "" {
			b.WriteString("[" + s + "]")
		} else {
			b.WriteString("." + s)
		}
	}
	return b.String()
}

// keyOrder reports elements whose keys, all of them known, come in another order than the catalogue's.
// (Unknown or missing keys are the schema's to report.)
func keyOrder(e *Event, body []byte) []Problem {
	want := make([]string, len(e.Keys))
	for i, k := range e.Keys {
		want[i] = k.Name
	}
	var ps []Problem
	check := func(where string, got []string) {
		if len(got) != len(want) || slices.Equal(got, want) {
			return
		}
		sorted, wantSorted := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
		if !slices.Equal(sorted, wantSorted) {
			return
		}
		for i := range got {
			if got[i] != want[i] {
				ps = append(ps, Problem{where, fmt.Sprintf("keys out of order: %s at position %d, where Open Dental sends %s", got[i], i+1, want[i])})
				return
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if e.UI {
		if keys, err := objectKeys(dec); err == nil {
			check("body", keys)
		}
		return ps
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return nil
	}
	for i := 0; dec.More(); i++ {
		keys, err := objectKeys(dec)
		if err != nil {
			return ps
		}
		check(fmt.Sprintf("body[%d]", i), keys)
	}
	return ps
}

// objectKeys reads one value from dec and returns its keys in order if it is an object.
func objectKeys(dec *json.Decoder) ([]string, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if t != json.Delim('{') {
		if d, ok := t.(json.Delim); ok && (d == '[') {
			return nil, skipRest(dec)
		}
		return nil, nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	_, err = dec.Token() // '}'
	return keys, err
}

func skipRest(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		t, err := dec.Token()
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
	return nil
}
