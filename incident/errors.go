package incident

import (
	"errors"
	"fmt"
)

// Error codes. Adapters map them to HTTP status codes, the bot maps the
// Reason of an Error to a German message.
const (
	ECONFLICT  = "conflict"  // the incident is not in a state that allows the action
	EFORBIDDEN = "forbidden" // the actor's role does not allow the action
	EINTERNAL  = "internal"  // a storage or program failure, not the user's fault
	EINVALID   = "invalid"   // bad input
	ENOTFOUND  = "not_found" // no such incident
)

// Error is the domain error. Reason is a stable machine key (such as
// "claim_not_it") that the bot turns into a message for the user; Message is
// for logs and developers.
type Error struct {
	Code    string
	Reason  string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("leitstelle error: code=%s reason=%s message=%s", e.Code, e.Reason, e.Message)
}

// Errorf returns an *Error with the given code, reason and formatted message.
func Errorf(code, reason, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error in err's chain, EINTERNAL for any
// other error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorReason returns the reason of the *Error in err's chain, or "internal".
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return "internal"
}
