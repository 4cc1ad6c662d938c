package payload

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// The text encoder copies runs of plain bytes whole; it must write exactly what the byte-at-a-time
// encoder it replaced wrote (kept here as the reference), for every input.
func TestTextMatchesReference(t *testing.T) {
	cases := []string{
		"", "plain", `Wants "early" slot` + "\r\nCall mom first", "a\rb\nc\r\n\n\r\rd", "tab\tback\\slash",
		"\b\f\x00\x01\x1f\x7f", "Zoë Müller — José", "line\u2028sep\u2029para\u0085next", "bad \xff\xfe utf8 \xe2\x82",
		"<script>&amp;</script>", "\r", "\n", "\\", `"`, "é", "\xc3",
	}
	for _, c := range cases {
		if got, want := appendTextBytes(nil, []byte(c)), referenceAppendTextBytes(nil, []byte(c)); !bytes.Equal(got, want) {
			t.Errorf("%q: got %s, want %s", c, got, want)
		}
	}
}

func FuzzTextMatchesReference(f *testing.F) {
	f.Add([]byte("Patient prefers mornings\r\n\"quoted\" \\ é \u2028 \xff"))
	f.Fuzz(func(t *testing.T, v []byte) {
		got, want := appendTextBytes([]byte("x"), v), referenceAppendTextBytes([]byte("x"), v)
		if !bytes.Equal(got, want) {
			t.Fatalf("%q: got %q, want %q", v, got, want)
		}
		if !utf8.Valid(got) {
			t.Fatalf("%q: invalid UTF-8 %q", v, got)
		}
	})
}

// referenceAppendTextBytes is the byte-at-a-time encoder: it appends text as a JSON string: quotes, backslashes and control characters escaped
// (as Newtonsoft.Json does: \b \t \f short forms, other controls and U+0085, U+2028, U+2029 as \uXXXX), everything else, including non-ASCII
// and <, >, &, written as is. CR, LF and CRLF become one space each, as Open Dental's API renders line
// breaks. Invalid UTF-8 becomes U+FFFD. NULL (nil) is "".
func referenceAppendTextBytes(dst, v []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
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
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(v[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, "\ufffd"...)
		case r == 0x85 || r == 0x2028 || r == 0x2029:
			dst = append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			dst = append(dst, v[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// BenchmarkText compares the run-copying encoder with the byte-at-a-time reference on a typical note.
func BenchmarkText(b *testing.B) {
	v := []byte(`Wants "early" slot` + "\r\nCall mom first; patient reports sensitivity on #14 — Zoë")
	for _, bc := range []struct {
		name string
		f    func(dst, v []byte) []byte
	}{{"runs", appendTextBytes}, {"reference", referenceAppendTextBytes}} {
		b.Run(bc.name, func(b *testing.B) {
			var dst []byte
			b.SetBytes(int64(len(v)))
			for b.Loop() {
				dst = bc.f(dst[:0], v)
			}
		})
	}
}
