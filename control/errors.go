package control

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/odsim/odsim/httpjson"
	"github.com/odsim/odsim/subscriptions"
)

// Error codes of the control API: every refusal is one of them, sent as "code" beside the message, so
// that a client (the CLI, a test in any language) can act on a refusal without parsing words.
const (
	Invalid          = "invalid"            // 400: a field or parameter is wrong; the message names it
	Unauthorized     = "unauthorized"       // 401: --control-token is set and the request lacks it
	Forbidden        = "forbidden"          // 403: wrong Host, peer, Origin, or a proxied request without the token
	SQLNotAllowed    = "sql_not_allowed"    // 403: a scenario runs raw SQL, and odsim serve lacks --allow-sql
	NotFound         = "not_found"          // 404: no such route, delivery, run or subscription
	MethodNotAllowed = "method_not_allowed" // 405: the path takes another method (see Allow)
	TooLarge         = "too_large"          // 413: the body is over the route's limit
	NotJSON          = "unsupported_media_type"
	TooMany          = "too_many_requests" // 429: a cap (long polls, running scenarios) is reached; see Retry-After
	Internal         = "internal"          // 500: odsim or its database failed; the detail is logged, not sent
)

// statuses maps each code to its HTTP status: the one place where they meet.
var statuses = map[string]int{
	Invalid:          http.StatusBadRequest,
	Unauthorized:     http.StatusUnauthorized,
	Forbidden:        http.StatusForbidden,
	SQLNotAllowed:    http.StatusForbidden,
	NotFound:         http.StatusNotFound,
	MethodNotAllowed: http.StatusMethodNotAllowed,
	TooLarge:         http.StatusRequestEntityTooLarge,
	NotJSON:          http.StatusUnsupportedMediaType,
	TooMany:          http.StatusTooManyRequests,
	Internal:         http.StatusInternalServerError,
}

// ErrorCodes lists every code, for documents that describe the API (docs/openapi.json).
func ErrorCodes() []string {
	return []string{Invalid, Unauthorized, Forbidden, SQLNotAllowed, NotFound, MethodNotAllowed, TooLarge, NotJSON, TooMany, Internal}
}

// Error is a refusal meant for the caller: a code and a message safe to show them.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorBody is every error answer of the control API.
type ErrorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// classify returns err's code and caller-safe message. Errors of the packages the control API drives
// (uievents, the poller, the store) speak the Subscriptions API's vocabulary, whose codes are spelt the
// same; anything else is internal, and its detail is not for the caller.
func classify(err error) (code, message string) {
	var ce *Error
	var je *httpjson.Error
	var se *subscriptions.Error
	switch {
	case errors.As(err, &ce):
		return ce.Code, ce.Message
	case errors.As(err, &je):
		if je.Status == http.StatusRequestEntityTooLarge {
			return TooLarge, je.Message
		}
		return Invalid, je.Message
	case errors.As(err, &se):
		if _, known := statuses[se.Code]; known && se.Code != Internal {
			return se.Code, se.Message
		}
	}
	return Internal, "Internal error."
}

// writeError answers err as {"error": message, "code": code}, logging internal errors (once, here).
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code, msg := classify(err)
	if code == Internal && log != nil {
		log.ErrorContext(r.Context(), "control api: request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	switch code {
	case TooMany:
		w.Header().Set("Retry-After", "1")
	case Unauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="odsim control"`)
	}
	httpjson.Write(w, statuses[code], ErrorBody{Error: msg, Code: code})
}
