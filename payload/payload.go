// Package payload encodes Open Dental's event JSON: the value kinds of its payload fields (numbers,
// "true"/"false" strings, enum names, dates, "R,G,B" colours, ...) and the batches sent to subscribers.
//
// Values are appended straight from the database's text form into a reused buffer, in the order of a
// field table, so that key order and formats live in one place (the field tables in package store) and
// no maps or reflection sit on the hot path.
package payload

import (
	"bytes"
	"context"
	"strconv"
	"unicode/utf8"
)

// Kind is how a field's database value is rendered in JSON.
type Kind uint8

// The kinds of Open Dental payload values.
const (
	Int       Kind = iota // integer or foreign key, a JSON number; NULL is 0
	IntString             // integer rendered as a JSON string ("24"), as Schedules GET and PatientSelected's ClinicNum do
	Money                 // double, a JSON number (0, 40.11)
	String                // text; NULL is ""; CR/LF become spaces
	Bool                  // tinyint, the string "true" or "false"
	Enum                  // tinyint, the enum's name (NULL is value 0); a value outside the enum is its number, as .NET prints it
	Date                  // "yyyy-MM-dd"; MySQL's zero date is "0001-01-01"
	DateTime              // "yyyy-MM-dd HH:mm:ss"; MySQL's zero date is "0001-01-01 00:00:00"
	Time                  // "HH:mm:ss"
	Colour                // signed 32-bit ARGB int, the string "R,G,B"
	Float                 // float rendered as a JSON string in shortest form ("-20", "1.5")
)

// Field is one key of a payload object.
type Field struct {
	Key   string
	Kind  Kind
	Names []string // enum names by value, for Kind Enum
}

// Object encodes rows of one field table as JSON objects.
type Object struct {
	fields []Field
	keys   [][]byte // `"Key":` pre-encoded, with the leading comma for all but the first
}

// NewObject prepares an encoder for objects with fields in this order.
func NewObject(fields []Field) *Object {
	o := &Object{fields: fields, keys: make([][]byte, len(fields))}
	for i, f := range fields {
		var k []byte
		if i > 0 {
			k = append(k, ',')
		}
		k = appendString(k, f.Key)
		k = append(k, ':')
		o.keys[i] = k
	}
	return o
}

// Fields returns the object's fields in order.
func (o *Object) Fields() []Field { return o.fields }

// Append appends one object to dst. values[i] is the database text of field i; nil means NULL.
func (o *Object) Append(dst []byte, values [][]byte) []byte {
	dst = append(dst, '{')
	for i, f := range o.fields {
		dst = append(dst, o.keys[i]...)
		dst = AppendValue(dst, f, values[i])
	}
	return append(dst, '}')
}

var (
	zeroDate     = []byte("0001-01-01")
	zeroDateTime = []byte("0001-01-01 00:00:00")
)

// AppendValue appends the JSON for one field's database text v (nil for NULL).
func AppendValue(dst []byte, f Field, v []byte) []byte {
	switch f.Kind {
	case Int:
		if !isInteger(v) {
			return append(dst, '0')
		}
		return append(dst, v...)
	case IntString:
		if !isInteger(v) {
			return append(dst, `"0"`...)
		}
		dst = append(dst, '"')
		dst = append(dst, v...)
		return append(dst, '"')
	case Money:
		return appendNumber(dst, v)
	case String:
		return appendTextBytes(dst, v)
	case Bool:
		if isTrue(v) {
			return append(dst, `"true"`...)
		}
		return append(dst, `"false"`...)
	case Enum:
		if v == nil {
			v = []byte("0") // NULL is 0, as for every number
		}
		n, err := strconv.Atoi(string(v))
		if err == nil && n >= 0 && n < len(f.Names) {
			return appendString(dst, f.Names[n])
		}
		return appendTextBytes(dst, v)
	case Date:
		return appendQuoted(dst, dateText(v, 10, zeroDate))
	case DateTime:
		return appendQuoted(dst, dateText(v, 19, zeroDateTime))
	case Time:
		if v == nil {
			v = []byte("00:00:00")
		}
		return appendQuoted(dst, v)
	case Colour:
		n, _ := strconv.ParseInt(string(v), 10, 64)
		c := uint32(int32(n))
		dst = append(dst, '"')
		dst = strconv.AppendUint(dst, uint64(c>>16&0xff), 10)
		dst = append(dst, ',')
		dst = strconv.AppendUint(dst, uint64(c>>8&0xff), 10)
		dst = append(dst, ',')
		dst = strconv.AppendUint(dst, uint64(c&0xff), 10)
		return append(dst, '"')
	case Float:
		x, err := strconv.ParseFloat(string(v), 32)
		if err != nil {
			x = 0
		}
		dst = append(dst, '"')
		dst = strconv.AppendFloat(dst, x, 'f', -1, 32)
		return append(dst, '"')
	}
	return append(dst, "null"...)
}

// dateText cuts a DATE/DATETIME value to n characters, mapping NULL and MySQL's zero date to Open
// Dental's 0001-01-01 (what .NET's DateTime.MinValue prints as).
func dateText(v []byte, n int, zero []byte) []byte {
	if len(v) < n || bytes.HasPrefix(v, []byte("0000-00-00")) {
		return zero
	}
	return v[:n]
}

func isTrue(v []byte) bool {
	for _, c := range v {
		if c != '0' && c != '-' && c != '.' {
			return true
		}
	}
	return false
}

func isInteger(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	if v[0] == '-' {
		v = v[1:]
	}
	if len(v) == 0 {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// appendNumber appends a double as MySQL printed it when that is valid JSON, else re-formats it.
func appendNumber(dst []byte, v []byte) []byte {
	if v == nil {
		return append(dst, '0')
	}
	x, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return append(dst, '0')
	}
	return strconv.AppendFloat(dst, x, 'f', -1, 64)
}

func appendQuoted(dst, v []byte) []byte {
	dst = append(dst, '"')
	dst = append(dst, v...)
	return append(dst, '"')
}

// AppendString appends s as a JSON string the way Open Dental's serializer writes it.
func AppendString(dst []byte, s string) []byte { return appendString(dst, s) }

func appendString(dst []byte, s string) []byte { return appendTextBytes(dst, []byte(s)) }

const hexDigits = "0123456789abcdef"

// appendTextBytes appends text as a JSON string: quotes, backslashes and control characters escaped
// (as Newtonsoft.Json does: \b \t \f short forms, other controls and U+0085, U+2028, U+2029 as \uXXXX), everything else, including non-ASCII
// and <, >, &, written as is. CR, LF and CRLF become one space each, as Open Dental's API renders line
// breaks. Invalid UTF-8 becomes U+FFFD. NULL (nil) is "".
//
// Runs of bytes written as they are (almost all of any text) are copied whole.
func appendTextBytes(dst, v []byte) []byte {
	dst = append(dst, '"')
	run := 0 // start of the bytes not yet written
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if plainASCII[c] {
				i++
				continue
			}
			dst = append(dst, v[run:i]...)
			switch {
			case c == '\r':
				dst = append(dst, ' ')
				if i+1 < len(v) && v[i+1] == '\n' {
					i++
				}
			case c == '\n':
				dst = append(dst, ' ')
			case c == '"':
				dst = append(dst, '\\', '"')
			case c == '\\':
				dst = append(dst, '\\', '\\')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c == '\b':
				dst = append(dst, '\\', 'b')
			case c == '\f':
				dst = append(dst, '\\', 'f')
			default: // the other control characters
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			run = i
			continue
		}
		r, size := utf8.DecodeRune(v[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, v[run:i]...)
			dst = append(dst, "\ufffd"...)
		case r == 0x85 || r == 0x2028 || r == 0x2029:
			dst = append(dst, v[run:i]...)
			dst = append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			i += size // written as is, with the run
			continue
		}
		i += size
		run = i
	}
	dst = append(dst, v[run:]...)
	return append(dst, '"')
}

// plainASCII tells the ASCII bytes a JSON string holds as they are: printable, not '"' or '\\'.
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Page is one batch of a database event: a JSON array of at most the batch size of row objects.
type Page struct {
	Body  []byte  // the JSON array, exactly as POSTed
	Count int     // number of elements
	Keys  []int64 // primary key of each element, in order
	Last  string  // watch-column value of the last element ("yyyy-MM-dd HH:mm:ss"), for logs and keyset paging
}

// Pages reads the batches of one window, in order.
type Pages interface {
	// Next reads the next page, overwriting and reusing reuse's body and keys when they are large
	// enough. A page with no elements means the window has been read to its end.
	Next(ctx context.Context, reuse Page) (Page, error)
}
