package org

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// formView is what an edit page needs: values to show and errors per field.
type formView struct {
	Values url.Values
	Errors FieldErrors
	Extra  any
}

func (f formView) Get(k string) string { return f.Values.Get(k) }

// Checked reports whether a checkbox value is on.
func (f formView) Checked(k string) bool { return f.Values.Get(k) != "" }

// Err returns the field's error message.
func (f formView) Err(k string) string { return f.Errors[k] }

func formInt(r *http.Request, k string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(r.FormValue(k)), 10, 64)
	return n
}

func formBool(r *http.Request, k string) bool { return r.FormValue(k) != "" }

// asFieldErrors returns the validation errors inside err, if any.
func asFieldErrors(err error) (FieldErrors, bool) {
	var fe FieldErrors
	if errors.As(err, &fe) {
		return fe, true
	}
	return nil, false
}

func boolValue(b bool) string {
	if b {
		return "1"
	}
	return ""
}
