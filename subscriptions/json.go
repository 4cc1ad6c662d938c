package subscriptions

import (
	"strconv"
	"unicode/utf8"
)

// MarshalJSON renders s as Open Dental's API does: the ten keys in Open Dental's order, compact, numbers
// for SubscriptionNum and PollingSeconds, "" for the unused enum, dates as "yyyy-MM-dd HH:mm:ss".
func (s Subscription) MarshalJSON() ([]byte, error) {
	return s.AppendJSON(nil), nil
}

// AppendJSON appends s's JSON (see MarshalJSON) to b, so a list is written into one buffer.
func (s Subscription) AppendJSON(b []byte) []byte {
	b = append(b, `{"SubscriptionNum":`...)
	b = strconv.AppendInt(b, s.Num, 10)
	b = append(b, `,"EndPointUrl":`...)
	b = appendJSONString(b, s.EndPointURL)
	b = append(b, `,"Workstation":`...)
	b = appendJSONString(b, s.Workstation)
	b = append(b, `,"CustomerKey":`...)
	b = appendJSONString(b, s.CustomerKey)
	b = append(b, `,"WatchTable":`...)
	b = appendJSONString(b, string(s.WatchTable))
	b = append(b, `,"PollingSeconds":`...)
	b = strconv.AppendInt(b, int64(s.PollingSeconds), 10)
	b = append(b, `,"UiEventType":`...)
	b = appendJSONString(b, string(s.UiEventType))
	b = append(b, `,"DateTimeStart":"`...)
	b = s.DateTimeStart.AppendFormat(b, DateTimeLayout)
	b = append(b, `","DateTimeStop":"`...)
	b = s.DateTimeStop.AppendFormat(b, DateTimeLayout)
	b = append(b, `","Note":`...)
	b = appendJSONString(b, s.Note)
	return append(b, '}')
}

// appendSubscriptionList appends a JSON array of list ("[]" when empty).
func appendSubscriptionList(b []byte, list []Subscription) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.AppendJSON(b)
	}
	return append(b, ']')
}

// appendJSONString appends v as a JSON string escaped the way .NET's Newtonsoft.Json does by default:
// ", \ and control characters are escaped (\b \f \n \r \t in short form, the rest as lower-case \u00xx),
// as are U+0085, U+2028 and U+2029; <, >, & and ' are left alone, unlike encoding/json's default. Invalid
// UTF-8 becomes U+FFFD (unescaped), as a .NET string cannot hold it.
func appendJSONString(b []byte, v string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, v[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, v[start:i]...)
			b = append(b, "\uFFFD"...)
		case r == '\u0085' || r == '\u2028' || r == '\u2029':
			b = append(b, v[start:i]...)
			b = append(b, '\\', 'u', hex[r>>12], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, v[start:]...)
	return append(b, '"')
}
