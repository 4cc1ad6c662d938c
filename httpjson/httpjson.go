// Package httpjson is how odsim's own HTTP APIs — the control API (scenario runs included) and Open
// Dental's Subscriptions API — read JSON request bodies and write JSON answers. It holds the rules they
// share, so that a body one of them refuses is refused by the others for the same reason, in the same
// words:
//
//   - a body is read up to a limit; past it the answer is 413, not a parse error;
//   - it must be valid UTF-8 (encoding/json would turn bad bytes into U+FFFD silently);
//   - an object's keys must be known, spelt exactly (encoding/json matches "PatNum" to "patNum") and
//     given once (encoding/json keeps the last);
//   - no string may hold U+0000 or a lone UTF-16 surrogate such as \ud800, which encoding/json turns
//     into U+FFFD: neither is text a database column should be given;
//   - after the object, nothing but white space.
//
// Each API keeps its own error vocabulary: the problems here are *Error values with the HTTP status
// (400 or 413) and a message that names the field, which the API wraps in its own code.
package httpjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Error is a body refused: Status is 400 (bad JSON, or a rule above) or 413 (too large); Field is the
// top-level key at fault, "" when the body as a whole is.
type Error struct {
	Status  int
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Message }

func invalid(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ReadBody reads r's body, at most max bytes. A larger body is an *Error with status 413; a body that
// cannot be read (the client went away, or was too slow for the server's read deadline) one with 400.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("Request body is larger than %d bytes.", max)}
		}
		return nil, invalid("", "Request body could not be read.")
	}
	return data, nil
}

// IsJSON reports whether r says Content-Type: application/json (with no charset, or UTF-8).
func IsJSON(r *http.Request) bool {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "utf8")
}

// Object describes the JSON object a body must be.
type Object struct {
	// Fields are its keys, exactly as spelt.
	Fields []string
	// Refused are keys a caller may know (from Open Dental's documentation, say) that cannot be given
	// here, each with the message saying why.
	Refused map[string]string
}

// Names lists the fields for messages: "a, b, c".
func (o Object) Names() string { return strings.Join(o.Fields, ", ") }

// Check applies the rules of the package comment to data, a body that should be o. It checks the
// encoding and, when data is an object, its keys and strings; the first problem in document order is
// returned. Syntax errors and values of the wrong type are left to the caller's decoder, which can
// name the type it wanted.
func (o Object) Check(data []byte) error {
	if !utf8.Valid(data) {
		return invalid("", "Request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		if err := o.checkKey(key, seen); err != nil {
			return err
		}
		start := dec.InputOffset()
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil
		}
		if err := checkStrings(key, data[start:dec.InputOffset()]); err != nil {
			return err
		}
	}
	return nil
}

func (o Object) checkKey(key string, seen map[string]bool) error {
	if msg, ok := o.Refused[key]; ok {
		return invalid(key, "%s", msg)
	}
	if !slices.Contains(o.Fields, key) {
		for _, f := range o.Fields {
			if strings.EqualFold(f, key) {
				return invalid(key, "Unknown field %q: field names are case-sensitive; did you mean %s?", Shorten(key), f)
			}
		}
		return invalid(key, "Unknown field %q: the fields are %s.", Shorten(key), o.Names())
	}
	if seen[key] {
		return invalid(key, "%q is given more than once.", key)
	}
	seen[key] = true
	return nil
}

// checkStrings looks through raw, the JSON text of field's value, for escapes that encoding/json would
// decode into something other than what was sent: \u0000, and a surrogate without its pair. Outside
// strings valid JSON has no backslash, so every backslash starts an escape.
func checkStrings(field string, raw []byte) error {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if i+1 >= len(raw) {
			return nil
		}
		if raw[i+1] != 'u' {
			i++ // \" \\ \/ \b \f \n \r \t
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			return nil // not JSON: the decoder says so
		}
		i += 5
		switch {
		case r == 0:
			return invalid(field, "%s must not contain U+0000 (\\u0000): it is not text a column can hold.", field)
		case utf16.IsSurrogate(r) && r < 0xDC00:
			if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if lo, ok := hex4(raw, i+3); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					i += 6
					continue
				}
			}
			fallthrough
		case utf16.IsSurrogate(r):
			return invalid(field, "%s holds a lone UTF-16 surrogate (\\u%04x), which is not a character: send the character's surrogate pair, or the character itself.", field, r)
		}
	}
	return nil
}

// hex4 reads the four hex digits at raw[i:i+4].
func hex4(raw []byte, i int) (rune, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range raw[i : i+4] {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// Decode checks data against o (see Check) and decodes it into dst, a pointer to a struct whose JSON
// names are o's fields. An empty body is an error unless optional, when dst is left as it is.
// Everything wrong is an *Error whose message names the field.
func (o Object) Decode(data []byte, dst any, optional bool) error {
	if len(bytes.TrimSpace(data)) == 0 {
		if optional {
			return nil
		}
		return invalid("", "Request body is empty: send a JSON object with %s.", o.Names())
	}
	if err := o.Check(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(dst); err != nil {
		return o.decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("", "Request body must hold one JSON object and nothing after it.")
	}
	return nil
}

// decodeError turns encoding/json's errors into messages that name the field.
func (o Object) decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return invalid("", "Request body is not valid JSON: %s (at byte %d).", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return invalid("", "Request body must be a JSON object with %s, not %s.", o.Names(), jsonKind(typ.Value))
		}
		return invalid(typ.Field, "%s must be %s, not %s.", typ.Field, goKind(typ.Type.Kind().String()), jsonKind(typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("", "Request body is not valid JSON: it ends too early.")
	}
	return invalid("", "Request body is not valid JSON: %s.", err.Error())
}

// goKind names what a Go field of this kind accepts, for messages.
func goKind(kind string) string {
	switch kind {
	case "int64", "int":
		return "a whole number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	}
	return kind
}

// jsonKind names what encoding/json found ("number 2.5", "a string", "an array"), for messages.
func jsonKind(v string) string {
	switch {
	case strings.HasPrefix(v, "number "):
		return v
	case v == "object" || v == "array":
		return "an " + v
	case v == "bool":
		return "true or false"
	}
	return "a " + v
}

// Write answers v as JSON on one line, with <, > and & left readable (no page renders these answers
// as HTML: they are served as application/json).
func Write(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		WriteRaw(w, http.StatusInternalServerError, []byte(`{"error":"Internal error.","code":"internal"}`+"\n"))
		return
	}
	WriteRaw(w, status, buf.Bytes())
}

// WriteRaw answers body, already JSON, with status.
func WriteRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body) // an error means the client went away: nothing left to tell it
}

// Shorten cuts a caller's value to 64 characters for echoing in a message, so that a huge value cannot
// bloat the answer.
func Shorten(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}
