// Package control is odsim's own control API, served under /odsim/v1/ beside Open Dental's API, so
// that tests in any language can drive the simulator with plain HTTP instead of waiting for timers: poll
// now, fire UI events, and read the delivery log. Client is the same API from Go, for the CLI.
//
// Routes (JSON in and out; errors are {"error": "message"} with a 4xx naming the field, or 500):
//
//	POST /odsim/v1/select-patient   {"workstation":"MOLLYR","patNum":28,"wait":true}
//	POST /odsim/v1/poll             {} or {"subscription":3,"settle":true} (or no body): poll now, answer what was sent
//	GET  /odsim/v1/deliveries       ?subscription=&table=&workstation=&status=&since=&limit=&wait=
//	GET  /odsim/v1/deliveries/{id}  one delivery with its headers and body
//	GET  /odsim/v1/deliveries/{id}/schema  the JSON Schema of its body (schema.go)
//	GET  /odsim/v1/workstations     the workstations odsim plays and their selected patients
//
// Only requests from loopback are served, unless Options.Token is set; then every request must carry
// "Authorization: Bearer <token>" (auth.go).
//
// Bodies are decoded strictly: an unknown field, a field of the wrong type, trailing data or a body over
// MaxBodyBytes is refused with 400 (413 for size) before anything happens. A POST with a body must say
// Content-Type: application/json, which also keeps web pages from posting to a local odsim.
package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/odsim/odsim/deliveries"
	"github.com/odsim/odsim/poller"
	"github.com/odsim/odsim/subscriptions"
	"github.com/odsim/odsim/uievents"
)

// Prefix is where the control API lives on odsim's listener.
const Prefix = "/odsim/v1/"

// DefaultMaxBodyBytes bounds a request body: control requests are a few dozen bytes.
const DefaultMaxBodyBytes = 16 << 10

// Poller polls database events now.
type Poller interface {
	PollNow(ctx context.Context, num int64) ([]poller.Outcome, error)
}

// Workstations fire UI events.
type Workstations interface {
	SelectPatient(ctx context.Context, ws string, patNum int64, wait bool) (uievents.Selection, error)
	List() []uievents.Workstation
}

// Clock is the database server's clock, NOW(), by which poll windows end.
type Clock interface {
	Now(ctx context.Context) (time.Time, error)
}

// Services are what the control API drives.
type Services struct {
	Poller       Poller
	Workstations Workstations
	Log          *deliveries.Log
	Clock        Clock
}

// Options configures the control API.
type Options struct {
	MaxBodyBytes int64 // DefaultMaxBodyBytes when 0
	// MaxWait bounds the long poll of GET deliveries?wait=; DefaultMaxWait when 0.
	MaxWait time.Duration
	// Logger receives internal errors, once each; nil discards them.
	Logger *slog.Logger
	// Token, when set, is required as "Authorization: Bearer <token>" on every control request, from
	// any address; when empty, only requests from loopback are served (auth.go).
	Token string
}

// api serves the control API.
type api struct {
	Services
	maxBody int64
	maxWait time.Duration
	log     *slog.Logger
	token   string
}

// Register adds the control API's routes to mux. It claims everything under Prefix, so that an
// unknown path or method there gets a JSON error rather than the mux's plain text.
func Register(mux *http.ServeMux, s Services, opts Options) {
	a := &api{Services: s, maxBody: opts.MaxBodyBytes, maxWait: opts.MaxWait, log: opts.Logger, token: opts.Token}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodyBytes
	}
	if a.maxWait <= 0 {
		a.maxWait = DefaultMaxWait
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.routes(mux)
}

// routes lists every route of the control API, each behind the guard (loopback or token).
func (a *api) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+Prefix+"select-patient", a.guard(a.selectPatient))
	mux.HandleFunc("POST "+Prefix+"poll", a.guard(a.poll))
	mux.HandleFunc("GET "+Prefix+"deliveries", a.guard(a.listDeliveries))
	mux.HandleFunc("GET "+Prefix+"deliveries/{id}", a.guard(a.getDelivery))
	mux.HandleFunc("GET "+Prefix+"deliveries/{id}/schema", a.guard(a.getDeliverySchema))
	mux.HandleFunc("GET "+Prefix+"workstations", a.guard(a.listWorkstations))
	mux.HandleFunc(Prefix, a.guard(a.notFound))
}

// routeMethods says which method each path takes, for the 405 answer.
var routeMethods = map[string]string{
	"select-patient": http.MethodPost,
	"poll":           http.MethodPost,
	"deliveries":     http.MethodGet,
	"workstations":   http.MethodGet,
}

// notFound answers every other request under Prefix: 405 on a known path, 404 elsewhere.
func (a *api) notFound(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, Prefix)
	if strings.HasPrefix(rest, "deliveries/") && !strings.Contains(strings.TrimPrefix(rest, "deliveries/"), "/") {
		rest = "deliveries"
	}
	if m, ok := routeMethods[rest]; ok {
		w.Header().Set("Allow", m)
		a.fail(w, r, &statusError{http.StatusMethodNotAllowed,
			fmt.Sprintf("%s %s is not allowed: use %s.", r.Method, r.URL.Path, m)})
		return
	}
	a.fail(w, r, subscriptions.Errorf(subscriptions.NotFound,
		"No control API route %s %s: the routes are POST %sselect-patient, POST %spoll, GET %sdeliveries, GET %sdeliveries/{id}, GET %sworkstations.",
		r.Method, r.URL.Path, Prefix, Prefix, Prefix, Prefix, Prefix))
}

// statusError is an answer with a status outside the error vocabulary (405).
type statusError struct {
	status  int
	message string
}

func (e *statusError) Error() string { return e.message }

// errorBody is every error answer: {"error": "message"}.
type errorBody struct {
	Error string `json:"error"`
}

// fail answers with err's status and caller-safe message. Internal errors are logged here, once; their
// detail never reaches the caller.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	var se *statusError
	if errors.As(err, &se) {
		writeJSON(w, se.status, errorBody{se.message})
		return
	}
	code := subscriptions.ErrorCode(err)
	if code == subscriptions.Internal {
		a.log.ErrorContext(r.Context(), "control api: request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	writeJSON(w, subscriptions.HTTPStatus(code), errorBody{subscriptions.ErrorMessage(err)})
}

// writeJSON answers v as JSON, one line, with <, > and & left readable.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"error":"Internal error."}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // an error means the client went away: nothing left to tell it
}

// decodeBody reads r's JSON object into dst strictly. fields are dst's JSON keys, matched exactly
// (encoding/json alone would take "PatNum" for "patNum"). An empty body leaves dst as it is when
// optional, and is an error otherwise.
func (a *api) decodeBody(w http.ResponseWriter, r *http.Request, dst any, fields []string, optional bool) error {
	names := strings.Join(fields, ", ")
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return subscriptions.Errorf(subscriptions.TooLarge, "Request body is larger than %d bytes.", a.maxBody)
		}
		return subscriptions.Errorf(subscriptions.Invalid, "Request body could not be read.")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if optional {
			return nil
		}
		return subscriptions.Errorf(subscriptions.Invalid, "Request body is empty: send a JSON object with %s.", names)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return subscriptions.Errorf(subscriptions.Invalid,
			"Content-Type must be application/json (curl: -H 'Content-Type: application/json', or --json).")
	}
	if !utf8.Valid(data) {
		// encoding/json would turn the bad bytes into U+FFFD silently.
		return subscriptions.Errorf(subscriptions.Invalid, "Request body is not valid UTF-8.")
	}
	if err := checkKeys(data, fields); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, names)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return subscriptions.Errorf(subscriptions.Invalid, "Request body must hold one JSON object and nothing after it.")
	}
	return nil
}

// checkKeys checks that data, when it is a JSON object, has only the keys in fields, each once, in
// their exact spelling. Other problems (syntax, a non-object) are left to the decoder's messages.
func checkKeys(data []byte, fields []string) error {
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
		if !slices.Contains(fields, key) {
			for _, f := range fields {
				if strings.EqualFold(f, key) {
					return subscriptions.Errorf(subscriptions.Invalid,
						"Unknown field %q: field names are case-sensitive; did you mean %s?", shorten(key), f)
				}
			}
			return subscriptions.Errorf(subscriptions.Invalid, "Unknown field %q: the fields are %s.", shorten(key), strings.Join(fields, ", "))
		}
		if seen[key] {
			return subscriptions.Errorf(subscriptions.Invalid, "%s is given more than once.", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}

// decodeError turns encoding/json's errors into messages that name the field.
func decodeError(err error, fields string) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return subscriptions.Errorf(subscriptions.Invalid, "Request body is not valid JSON: %s (at byte %d).", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return subscriptions.Errorf(subscriptions.Invalid, "Request body must be a JSON object with %s, not %s.", fields, jsonKind(typ.Value))
		}
		return subscriptions.Errorf(subscriptions.Invalid, "%s must be %s, not %s.", typ.Field, goKind(typ.Type.Kind().String()), jsonKind(typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return subscriptions.Errorf(subscriptions.Invalid, "Request body is not valid JSON: it ends too early.")
	}
	return subscriptions.Errorf(subscriptions.Invalid, "Request body is not valid JSON: %s.", err.Error())
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

// jsonKind names what encoding/json found ("number 2.5", "string", "array"), for messages.
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

// Names of the event types the table filter takes.
func eventTypeNames() []string {
	var out []string
	for _, t := range subscriptions.WatchTables {
		out = append(out, string(t))
	}
	for _, u := range subscriptions.UiEventTypes {
		out = append(out, string(u))
	}
	return out
}
