package receiver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// secondaryKey names a key shown next to an element's primary key: an AppointmentDeleted element is a
// history row whose own key (HistApptNum) means little to a reader, while AptNum names the appointment.
func secondaryKey(primary string) string {
	if primary == "HistApptNum" {
		return "AptNum"
	}
	return ""
}

// How many key values the line shows before abbreviating: the first showFirst, "…", the last one.
const (
	maxKeysShown = 8
	showFirst    = 5
	maxKeyGroups = 3
)

// formatDelivery is the printed text of an answered delivery: the one-line summary (without the time,
// which print adds) and, when verbose, the headers and the pretty body.
func formatDelivery(d Delivery, notes []string, verbose bool) string {
	eventType := d.Headers.Get("Event-Type")
	if eventType == "" {
		eventType = "(no Event-Type)"
	}
	ws := d.Headers.Get("Workstation")
	if ws == "" {
		ws = "-"
	}
	parts := []string{printable(eventType), "ws=" + printable(ws)}
	parts = append(parts, summarize(d.Body)...)
	if d.Path != "/" {
		parts = append(parts, printable(d.Path))
	}
	parts = append(parts, statusText(d.Status, notes))
	line := strings.Join(parts, "  ") + "\n"
	if !verbose {
		return line
	}

	var b strings.Builder
	b.WriteString(line)
	names := make([]string, 0, len(d.Headers))
	for name := range d.Headers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range d.Headers[name] {
			b.WriteString("  " + name + ": " + printable(v) + "\n")
		}
	}
	b.WriteString("\n")
	b.WriteString(prettyBody(d.Body))
	b.WriteString("\n")
	return b.String()
}

// formatRejected is the line for a request that was not taken as a delivery (wrong method, too big,
// unreadable). status 0 means nothing could be answered.
func formatRejected(r *http.Request, status int, why string) string {
	parts := []string{r.Method + " " + printable(r.URL.RequestURI())}
	if et := r.Header.Get("Event-Type"); et != "" {
		parts = append(parts, printable(et))
	}
	if ws := r.Header.Get("Workstation"); ws != "" {
		parts = append(parts, "ws="+printable(ws))
	}
	if status == 0 {
		parts = append(parts, "-> no answer ("+why+")")
	} else {
		parts = append(parts, statusText(status, []string{why}))
	}
	return strings.Join(parts, "  ") + "\n"
}

func statusText(status int, notes []string) string {
	s := "-> " + strconv.Itoa(status)
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, "; ") + ")"
	}
	return s
}

// summarize describes a body in one or two line parts: its size in elements and the primary keys.
func summarize(body []byte) []string {
	switch {
	case len(body) == 0:
		return []string{"empty body"}
	case !json.Valid(body):
		return []string{"non-JSON body, " + plural(len(body), "byte")}
	}
	trimmed := bytes.TrimSpace(body)
	var elements []json.RawMessage
	switch trimmed[0] {
	case '[':
		if err := json.Unmarshal(trimmed, &elements); err != nil {
			return []string{"non-JSON body, " + plural(len(body), "byte")} // unreachable: body is valid JSON
		}
	case '{':
		elements = []json.RawMessage{trimmed}
	default:
		return []string{"JSON " + jsonKind(trimmed[0])}
	}

	var groups keyGroups
	for _, el := range elements {
		groups.addElement(el)
	}
	count := plural(len(elements), "element")
	if trimmed[0] == '{' {
		count = "object"
	}
	if keys := groups.String(); keys != "" {
		return []string{count, keys}
	}
	return []string{count}
}

// keyGroups collects key values by key name, in order of first appearance.
type keyGroups []keyGroup

type keyGroup struct {
	name   string
	values []string
}

func (g *keyGroups) add(name, value string) {
	for i := range *g {
		if (*g)[i].name == name {
			(*g)[i].values = append((*g)[i].values, value)
			return
		}
	}
	*g = append(*g, keyGroup{name: name, values: []string{value}})
}

// addElement records the first key of an object element, and its secondary key if it has one. The key
// order is read from the JSON text itself because decoding into a map would lose it.
func (g *keyGroups) addElement(el json.RawMessage) {
	dec := json.NewDecoder(bytes.NewReader(el))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return // not an object: nothing to name it by
	}
	secondary := ""
	for first := true; dec.More(); first = false {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return
		}
		switch {
		case first:
			g.add(key, keyValue(value))
			secondary = secondaryKey(key)
			if secondary == "" {
				return
			}
		case key == secondary:
			g.add(key, keyValue(value))
			return
		}
	}
}

func (g keyGroups) String() string {
	parts := make([]string, 0, len(g))
	for i, grp := range g {
		if i == maxKeyGroups {
			parts = append(parts, "…")
			break
		}
		vals := grp.values
		text := strings.Join(vals, ",")
		if len(vals) > maxKeysShown {
			text = strings.Join(vals[:showFirst], ",") + ",…," + vals[len(vals)-1] + " (" + strconv.Itoa(len(vals)) + ")"
		}
		parts = append(parts, printable(grp.name)+" "+text)
	}
	return strings.Join(parts, "  ")
}

// keyValue shows a key's JSON value compactly: numbers as written, simple strings unquoted (Schedule
// payloads carry "ScheduleNum": "24"), anything else quoted or elided.
func keyValue(raw json.RawMessage) string {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			if s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r == ',' || !unicode.IsGraphic(r) || unicode.IsSpace(r) }) {
				return s
			}
			return strconv.Quote(s)
		}
	}
	if len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') {
		return "…"
	}
	return string(raw)
}

func jsonKind(first byte) string {
	switch first {
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// prettyBody is the verbose view of a body: indented JSON in its original key order, the text of a
// non-JSON UTF-8 body, or only its size when it is binary.
func prettyBody(body []byte) string {
	if len(body) == 0 {
		return "  (empty body)\n"
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(body), "  ", "  "); err == nil {
		return "  " + buf.String() + "\n"
	}
	if !utf8.Valid(body) {
		return "  (non-JSON binary body, " + plural(len(body), "byte") + ")\n"
	}
	var b strings.Builder
	b.WriteString("  (non-JSON body, " + plural(len(body), "byte") + ")\n")
	for line := range strings.Lines(string(body)) {
		b.WriteString("  " + printableText(strings.TrimRight(line, "\r\n")) + "\n")
	}
	return b.String()
}

// printable keeps header values and paths from writing control characters to the terminal.
func printable(s string) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) {
		return strconv.Quote(s)
	}
	return s
}

// printableText is printable for body text, where tabs are ordinary.
func printableText(s string) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' && r != '\t' }) {
		return strconv.Quote(s)
	}
	return s
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
