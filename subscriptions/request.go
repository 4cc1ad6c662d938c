package subscriptions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/odsim/odsim/httpjson"
)

// maxText is the length, in characters, of apisubscription's varchar(255) columns. A longer value would
// be cut silently under Open Dental's empty sql_mode, so it is refused instead.
const maxText = 255

// fieldKind is the JSON type a body field must have.
type fieldKind int

const (
	stringField fieldKind = iota
	intField
)

// bodyField is one key a request body may name: its JSON type, or why it may not be given.
type bodyField struct {
	name    string
	kind    fieldKind
	refusal string // non-empty: the key is Open Dental's but not settable here; this is the message
}

// bodyFields are the keys a body may hold, with their rules.
type bodyFields []bodyField

// object is the shape package httpjson checks: the settable keys, and the refused ones with why.
func (fs bodyFields) object() httpjson.Object {
	o := httpjson.Object{Refused: map[string]string{}}
	for _, f := range fs {
		if f.refusal != "" {
			o.Refused[f.name] = f.refusal
		} else {
			o.Fields = append(o.Fields, f.name)
		}
	}
	return o
}

func (fs bodyFields) lookup(key string) bodyField {
	for _, f := range fs {
		if f.name == key {
			return f
		}
	}
	panic("subscriptions: no field " + key) // httpjson checked the keys
}

// createFields are the keys a POST body may hold.
var createFields = bodyFields{
	{name: "EndPointUrl"},
	{name: "Workstation"},
	{name: "WatchTable"},
	{name: "PollingSeconds", kind: intField},
	{name: "UiEventType"},
	{name: "DateTimeStart"},
	{name: "DateTimeStop"},
	{name: "Note"},
	{name: "SubscriptionNum", refusal: "SubscriptionNum cannot be set: odsim assigns it."},
	{name: "CustomerKey", refusal: "CustomerKey cannot be set: it comes from the Authorization header."},
}

// updateFields are the keys a PUT body may hold: Open Dental's updatable fields, and the others by name
// so the caller learns they cannot change.
var updateFields = bodyFields{
	{name: "EndPointUrl"},
	{name: "Workstation"},
	{name: "PollingSeconds", kind: intField},
	{name: "DateTimeStart"},
	{name: "DateTimeStop"},
	{name: "Note"},
	{name: "SubscriptionNum", refusal: "SubscriptionNum cannot be changed."},
	{name: "CustomerKey", refusal: "CustomerKey cannot be changed."},
	{name: "WatchTable", refusal: "WatchTable cannot be changed."},
	{name: "UiEventType", refusal: "UiEventType cannot be changed."},
}

// requestBody is a decoded POST or PUT body; a nil field was not given.
type requestBody struct {
	EndPointURL    *string
	Workstation    *string
	WatchTable     *string
	PollingSeconds *int
	UiEventType    *string
	DateTimeStart  *string
	DateTimeStop   *string
	Note           *string
}

// stringTarget returns where the string field name is decoded to.
func (b *requestBody) stringTarget(name string) **string {
	switch name {
	case "EndPointUrl":
		return &b.EndPointURL
	case "Workstation":
		return &b.Workstation
	case "WatchTable":
		return &b.WatchTable
	case "UiEventType":
		return &b.UiEventType
	case "DateTimeStart":
		return &b.DateTimeStart
	case "DateTimeStop":
		return &b.DateTimeStop
	case "Note":
		return &b.Note
	}
	panic("subscriptions: no target for field " + name)
}

// decodeBody decodes data, a request body, strictly: it must be UTF-8 holding exactly one JSON object
// whose keys are among fields, each given once (package httpjson, which also refuses U+0000 and lone
// surrogates in strings), each of its field's type and not null. Problems with the keys are found
// first; then the first value of the wrong type, in document order. Each is an Invalid *Error naming
// the field.
func decodeBody(data []byte, fields bodyFields) (requestBody, error) {
	var body requestBody
	if len(bytes.TrimSpace(data)) == 0 && utf8.Valid(data) {
		return body, Errorf(Invalid, "Request body is empty: send a JSON object.")
	}
	if err := fields.object().Check(data); err != nil {
		return body, Errorf(Invalid, "%s", err.Error())
	}
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return body, Errorf(Invalid, "Request body is not valid JSON: %s (at byte %d).", syn.Error(), syn.Offset)
		}
		return body, Errorf(Invalid, "Request body is not valid JSON: %s.", err.Error())
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return body, Errorf(Invalid, "Request body is not valid JSON: %s.", err.Error())
	}
	if tok != json.Delim('{') {
		return body, Errorf(Invalid, "Request body must be a JSON object, not %s.", describeToken(tok))
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return body, Errorf(Invalid, "Request body is not valid JSON: %s.", err.Error())
		}
		f := fields.lookup(tok.(string)) // the syntax and the keys were checked above
		if tok, err = dec.Token(); err != nil {
			return body, Errorf(Invalid, "Request body is not valid JSON: %s.", err.Error())
		}
		if err := body.set(f, tok); err != nil {
			return body, err
		}
	}
	return body, nil
}

// set stores the JSON value tok (a scalar, or the opening delimiter of an object or array) in f's field.
func (b *requestBody) set(f bodyField, tok json.Token) error {
	switch v := tok.(type) {
	case nil:
		return Errorf(Invalid, "%s must not be null: leave it out instead.", f.name)
	case string:
		if f.kind == stringField {
			*b.stringTarget(f.name) = &v
			return nil
		}
	case json.Number:
		if f.kind == intField {
			n, err := parseInt32(f.name, v.String())
			if err != nil {
				return err
			}
			b.PollingSeconds = &n
			return nil
		}
	}
	want := "a JSON string"
	if f.kind == intField {
		want = "a whole number"
	}
	return Errorf(Invalid, "%s must be %s, not %s.", f.name, want, describeToken(tok))
}

// parseInt32 reads a JSON number literal that must be an integer within int(11)'s range: 5.5, 5.0, 5e0
// and 1e400 are refused rather than rounded or saturated.
func parseInt32(name, literal string) (int, error) {
	if strings.ContainsAny(literal, ".eE") {
		return 0, Errorf(Invalid, "%s must be a whole number, not %s.", name, shorten(literal))
	}
	n, err := strconv.ParseInt(literal, 10, 32)
	if err != nil {
		return 0, Errorf(Invalid, "%s %s is out of range: the largest allowed is 2147483647.", name, shorten(literal))
	}
	return int(n), nil
}

// describeToken names the JSON type of tok for error messages.
func describeToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// quoteKey quotes a caller's key for a message, shortened so a huge key cannot bloat the answer.
func quoteKey(key string) string { return strconv.Quote(shorten(key)) }

// shorten cuts s to 64 characters for echoing in a message.
func shorten(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

// newSubscription validates a POST body and returns the subscription it asks for, owned by customerKey.
// Empty WatchTable and UiEventType count as not given, since Open Dental shows the unused one as "".
func (b requestBody) newSubscription(customerKey string) (Subscription, error) {
	s := Subscription{CustomerKey: customerKey, DateTimeStop: MinDateTime}
	if b.EndPointURL == nil || *b.EndPointURL == "" {
		return s, Errorf(Invalid, "EndPointUrl is required: the URL odsim POSTs events to, such as https://myserver/apievents/.")
	}
	if err := checkEndPointURL(*b.EndPointURL); err != nil {
		return s, err
	}
	s.EndPointURL = *b.EndPointURL
	if b.Workstation != nil {
		if err := checkText("Workstation", *b.Workstation); err != nil {
			return s, err
		}
		s.Workstation = *b.Workstation
	}

	watch, ui := deref(b.WatchTable), deref(b.UiEventType)
	switch {
	case watch != "" && ui != "":
		return s, Errorf(Invalid, "Give WatchTable or UiEventType, not both: a subscription is for database events or UI events.")
	case watch == "" && ui == "":
		return s, Errorf(Invalid, "WatchTable or UiEventType is required: WatchTable for database events, UiEventType for UI events.")
	case watch != "":
		s.WatchTable = WatchTable(watch)
		if !s.WatchTable.Valid() {
			return s, Errorf(Invalid, "WatchTable %s is not valid: use one of %s.", quoteKey(watch), joinNames(WatchTables))
		}
		if b.PollingSeconds == nil || *b.PollingSeconds < 1 {
			return s, Errorf(Invalid, "PollingSeconds is required for a WatchTable subscription and must be 1 or more.")
		}
		s.PollingSeconds = *b.PollingSeconds
	default:
		s.UiEventType = UiEventType(ui)
		if !s.UiEventType.Valid() {
			return s, Errorf(Invalid, "UiEventType %s is not valid: use one of %s.", quoteKey(ui), joinNames(UiEventTypes))
		}
		if b.PollingSeconds != nil && *b.PollingSeconds != 0 {
			return s, Errorf(Invalid, "PollingSeconds must be 0 or left out for a UiEventType subscription: UI events are not polled.")
		}
	}

	if b.DateTimeStart != nil {
		t, err := parseDateField("DateTimeStart", *b.DateTimeStart)
		if err != nil {
			return s, err
		}
		s.DateTimeStart = t // 0001-01-01 too means "now", as a zero .NET DateTime would
	}
	if b.DateTimeStop != nil {
		t, err := parseDateField("DateTimeStop", *b.DateTimeStop)
		if err != nil {
			return s, err
		}
		s.DateTimeStop = t
	}
	if b.Note != nil {
		if err := checkText("Note", *b.Note); err != nil {
			return s, err
		}
		s.Note = *b.Note
	}
	return s, nil
}

// update validates a PUT body on its own and returns the change it asks for. Whether PollingSeconds
// suits the subscription is checked by checkUpdate, once the subscription has been read.
func (b requestBody) update() (Update, error) {
	var u Update
	if b.EndPointURL != nil {
		if *b.EndPointURL == "" {
			return u, Errorf(Invalid, "EndPointUrl cannot be empty: give the URL odsim POSTs events to, or leave it out.")
		}
		if err := checkEndPointURL(*b.EndPointURL); err != nil {
			return u, err
		}
		u.EndPointURL = b.EndPointURL
	}
	if b.Workstation != nil {
		if err := checkText("Workstation", *b.Workstation); err != nil {
			return u, err
		}
		u.Workstation = b.Workstation
	}
	u.PollingSeconds = b.PollingSeconds
	if b.DateTimeStart != nil {
		t, err := parseDateField("DateTimeStart", *b.DateTimeStart)
		if err != nil {
			return u, err
		}
		u.DateTimeStart = &t
	}
	if b.DateTimeStop != nil {
		t, err := parseDateField("DateTimeStop", *b.DateTimeStop)
		if err != nil {
			return u, err
		}
		u.DateTimeStop = &t
	}
	if b.Note != nil {
		if err := checkText("Note", *b.Note); err != nil {
			return u, err
		}
		u.Note = b.Note
	}
	return u, nil
}

// checkUpdate checks u's PollingSeconds against the subscription it changes. PollingSeconds 0 on a UI
// subscription is what GET shows for it, so it is accepted and changes nothing.
func checkUpdate(cur Subscription, u Update) (Update, error) {
	if u.PollingSeconds == nil {
		return u, nil
	}
	if !cur.IsDatabase() {
		if *u.PollingSeconds != 0 {
			return u, Errorf(Invalid, "PollingSeconds cannot be set on a UiEventType subscription: UI events are not polled.")
		}
		u.PollingSeconds = nil
		return u, nil
	}
	if *u.PollingSeconds < 1 {
		return u, Errorf(Invalid, "PollingSeconds must be 1 or more for a WatchTable subscription.")
	}
	return u, nil
}

// checkEndPointURL accepts an absolute http or https URL with a host that fits the column. Spaces and
// control characters are refused because Open Dental POSTs to the URL exactly as stored.
func checkEndPointURL(v string) error {
	if err := checkText("EndPointUrl", v); err != nil {
		return err
	}
	if strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return Errorf(Invalid, "EndPointUrl must not contain spaces or control characters.")
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return Errorf(Invalid, "EndPointUrl %s is not an absolute http or https URL with a host, such as https://myserver/apievents/.",
			quoteKey(v))
	}
	if p := u.Port(); p != "" {
		// url.Parse checks that a port is digits, not that it is one: :99999 would fail every POST.
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Errorf(Invalid, "EndPointUrl %s has port %s: a port is a number from 1 to 65535.", quoteKey(v), shorten(p))
		}
	}
	return nil
}

// checkText accepts a value for one of apisubscription's varchar(255) utf8 columns: at most 255
// characters, none outside the Basic Multilingual Plane (utf8mb3 cannot store them; MySQL would replace
// them with "?" under the empty sql_mode).
func checkText(name, v string) error {
	if n := utf8.RuneCountInString(v); n > maxText {
		return Errorf(Invalid, "%s must be %d characters or fewer (it has %d).", name, maxText, n)
	}
	for _, r := range v {
		if r > 0xFFFF {
			return Errorf(Invalid, "%s cannot hold characters outside Unicode's Basic Multilingual Plane (such as emoji): Open Dental's utf8 columns cannot store them.", name)
		}
	}
	return nil
}

// parseDateField parses a date field with ParseDateTime and names the field when it fails.
func parseDateField(name, v string) (time.Time, error) {
	t, err := ParseDateTime(v)
	if err != nil {
		return time.Time{}, Errorf(Invalid, "%s %s is not a date: use yyyy-MM-dd or yyyy-MM-dd HH:mm:ss.", name, quoteKey(v))
	}
	return t, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// joinNames lists enum names for a message: "A, B, C".
func joinNames[T ~string](names []T) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}
