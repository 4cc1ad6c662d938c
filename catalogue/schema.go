package catalogue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/odsim/odsim/payload"
)

// Object is a JSON object whose members keep their order when encoded, so that generated documents
// list keys in the order events send them and diff cleanly.
type Object []Member

// Member is one member of an Object.
type Member struct {
	Key   string
	Value any
}

// MarshalJSON writes the members in order.
func (o Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(m.Key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := marshal(m.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Key, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Patterns of the string kinds, as Open Dental writes them (opendental-events.md §4.2).
const (
	patternInteger  = `^-?[0-9]+$`
	patternDate     = `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
	patternDateTime = `^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$`
	patternTime     = `^[0-9]{2}:[0-9]{2}:[0-9]{2}$`
	patternColour   = `^[0-9]{1,3},[0-9]{1,3},[0-9]{1,3}$`
	patternDecimal  = `^-?[0-9]+(\.[0-9]+)?$`
)

// KindSchema is the JSON Schema of a value of kind k (without enum names: see keySchema).
func KindSchema(k payload.Kind) Object {
	switch k {
	case payload.Int:
		return Object{{"type", "integer"}}
	case payload.IntString:
		return Object{{"type", "string"}, {"pattern", patternInteger}}
	case payload.Money:
		return Object{{"type", "number"}}
	case payload.String:
		return Object{{"type", "string"}}
	case payload.Bool:
		return Object{{"type", "string"}, {"enum", []string{"true", "false"}}}
	case payload.Enum:
		return Object{{"type", "string"}}
	case payload.Date:
		return Object{{"type", "string"}, {"format", "date"}, {"pattern", patternDate}}
	case payload.DateTime:
		return Object{{"type", "string"}, {"pattern", patternDateTime}}
	case payload.Time:
		return Object{{"type", "string"}, {"pattern", patternTime}}
	case payload.Colour:
		return Object{{"type", "string"}, {"pattern", patternColour}}
	case payload.Float:
		return Object{{"type", "string"}, {"pattern", patternDecimal}}
	}
	panic(fmt.Sprintf("catalogue: no schema for payload kind %d", k))
}

// KindName is the kind's name in docs/events.md.
func KindName(k payload.Kind) string {
	switch k {
	case payload.Int:
		return "number (integer)"
	case payload.IntString:
		return `string of an integer ("24")`
	case payload.Money:
		return "number"
	case payload.String:
		return "string"
	case payload.Bool:
		return `"true" / "false"`
	case payload.Enum:
		return "enum name"
	case payload.Date:
		return `date "yyyy-MM-dd"`
	case payload.DateTime:
		return `date-time "yyyy-MM-dd HH:mm:ss"`
	case payload.Time:
		return `time "HH:mm:ss"`
	case payload.Colour:
		return `colour "R,G,B"`
	case payload.Float:
		return `string of a decimal ("-20")`
	}
	return "?"
}

// Refs says where a generated schema finds the schemas it refers to: "#/$defs/" in a standalone JSON
// Schema, "#/components/schemas/" in the OpenAPI document.
type Refs string

// The two places schemas live.
const (
	DefsRefs       Refs = "#/$defs/"
	ComponentsRefs Refs = "#/components/schemas/"
)

func (r Refs) to(name string) Object { return Object{{"$ref", string(r) + name}} }

// BodyName is the name of an event's body schema: the element itself for UI events, an array of them
// for database events.
func BodyName(e *Event) string {
	if e.UI {
		return e.Name
	}
	return e.Name + "Body"
}

// MaxBatch is the most elements one POST of a database event carries (Open Dental since 23.2.1).
const MaxBatch = 1000

// ElementSchema is the JSON Schema of one element of e: every key with its type, format and enum,
// all required, no other key; x-key-order lists the keys in the order they are sent (JSON Schema
// cannot say it).
func ElementSchema(e *Event, refs Refs) Object {
	props := make(Object, len(e.Keys))
	required := make([]string, len(e.Keys))
	for i, k := range e.Keys {
		props[i] = Member{k.Name, keySchema(k, refs)}
		required[i] = k.Name
	}
	about := e.About + " Shape: " + e.Source + "."
	if !e.UI {
		about += " Keys are sent in the order of x-key-order."
	}
	return Object{
		{"title", e.Name},
		{"description", about},
		{"type", "object"},
		{"properties", props},
		{"required", required},
		{"additionalProperties", false},
		{"x-key-order", required},
	}
}

func keySchema(k Key, refs Refs) Object {
	if k.Enum != nil {
		// A bare $ref: code generators (json-schema-to-typescript) turn a $ref with sibling keywords
		// into a new type per key (ContactMethod1, ContactMethod2, ...). The key's meaning is in
		// docs/events.md; the enum's own schema describes it.
		return refs.to(k.Enum.Name)
	}
	return append(KindSchema(k.Kind), Member{"description", k.Meaning})
}

// BodySchema is the JSON Schema of the body of one POST of e.
func BodySchema(e *Event, refs Refs) Object {
	if e.UI {
		return refs.to(e.Name)
	}
	return Object{
		{"title", BodyName(e)},
		{"description", fmt.Sprintf("The body of one %s POST: a JSON array of 1 to %d elements, ordered by the watch column (%s.%s), then the primary key.", e.Name, MaxBatch, e.Table, e.Watch)},
		{"type", "array"},
		{"items", refs.to(e.Name)},
		{"minItems", 1},
		{"maxItems", MaxBatch},
	}
}

// EnumSchema is the JSON Schema of one of Open Dental's enums.
func EnumSchema(en *Enum) Object {
	return Object{
		{"title", en.Name},
		{"description", fmt.Sprintf("Open Dental's %s enum, sent as the value's name (a value outside the enum would be sent as its number, which this schema refuses).", en.Name)},
		{"type", "string"},
		{"enum", en.Values},
	}
}

// Enums returns the enums the events use, in the order they first appear.
func Enums(evs []*Event) []*Enum {
	var out []*Enum
	seen := map[*Enum]bool{}
	for _, e := range evs {
		for _, k := range e.Keys {
			if k.Enum != nil && !seen[k.Enum] {
				seen[k.Enum] = true
				out = append(out, k.Enum)
			}
		}
	}
	return out
}

// Schemas returns the named schemas of evs: each event's element and body, then the enums.
func Schemas(evs []*Event, refs Refs) Object {
	var out Object
	for _, e := range evs {
		out = append(out, Member{e.Name, ElementSchema(e, refs)})
		if !e.UI {
			out = append(out, Member{BodyName(e), BodySchema(e, refs)})
		}
	}
	for _, en := range Enums(evs) {
		out = append(out, Member{en.Name, EnumSchema(en)})
	}
	return out
}

// SchemaID is the $id of the standalone JSON Schema document.
const SchemaID = "urn:odsim:catalogue:events"

// JSONSchema is a standalone JSON Schema (draft 2020-12) of the bodies of evs: one of them validates
// against it, and $defs names each event's body (<Event>Body for database events, <Event> for UI
// events), element and enum.
func JSONSchema(evs []*Event) Object {
	var any []Object
	var names []string
	for _, e := range evs {
		any = append(any, DefsRefs.to(BodyName(e)))
		names = append(names, e.Name)
	}
	return Object{
		{"$schema", "https://json-schema.org/draft/2020-12/schema"},
		{"$id", SchemaID},
		{"title", "EventBody"},
		{"description", "The JSON body of each event odsim sends as Open Dental does (" + strings.Join(names, ", ") + "), generated from odsim's event catalogue. $defs/<Event>Body is a database event's body (an array), $defs/<Event> one element or a UI event's body."},
		{"anyOf", any},
		{"$defs", Schemas(evs, DefsRefs)},
	}
}

// marshal is json.Marshal without escaping <, > and &, which the documents' texts hold.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Indent encodes v as indented JSON with a final newline: the form of the committed documents.
func Indent(v any) ([]byte, error) {
	b, err := marshal(v)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
