package auth

import (
	"errors"
	"net/url"
	"strings"
)

// FieldErrors maps a form field name to a Japanese message.
type FieldErrors map[string]string

func (fe FieldErrors) Error() string {
	var parts []string
	for _, v := range fe {
		parts = append(parts, v)
	}
	return strings.Join(parts, " ")
}

// asFieldErrors returns the validation errors inside err, if any.
func asFieldErrors(err error) (FieldErrors, bool) {
	var fe FieldErrors
	if errors.As(err, &fe) {
		return fe, true
	}
	return nil, false
}

// formView is what a form page needs: values to show and errors per field.
type formView struct {
	Values url.Values
	Errors FieldErrors
}

// Get returns a submitted value.
func (f formView) Get(k string) string { return f.Values.Get(k) }

// Err returns the field's error message.
func (f formView) Err(k string) string { return f.Errors[k] }
