package subscriptions

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes: the small vocabulary every odsim failure is sorted into. Each maps to one HTTP status.
const (
	Invalid      = "invalid"      // 400: the caller sent something wrong; Message names the field
	Unauthorized = "unauthorized" // 401: missing or malformed Authorization
	NotFound     = "not_found"    // 404: no such resource for this caller
	Conflict     = "conflict"     // 409: the request conflicts with the current state
	TooLarge     = "too_large"    // 413: the body is larger than allowed
	Internal     = "internal"     // 500: odsim or its database failed; details are logged, not sent
)

// Error is an error meant for the caller: a code and a message safe to show them.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or Internal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the caller-safe message of err: the *Error's message, or a generic one for
// internal errors, whose details must not leak to callers.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// HTTPStatus maps an error code to the HTTP status the API answers with.
func HTTPStatus(code string) int {
	switch code {
	case Invalid:
		return http.StatusBadRequest
	case Unauthorized:
		return http.StatusUnauthorized
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusInternalServerError
	}
}
