package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
)

// Object is the second layer of authorization: after the route rule has
// allowed the user's role, the router asks the feature whether this user may
// reach this object (a member of this engagement, a department in scope, a
// document published to everyone). Every route on one object declares its
// check, and the object-access test tries every role against every kind.
type Object struct {
	Kind  string // names the kind of object, e.g. "policy.version"; the access test keys its expectations on it
	Param string // path parameter holding the object's id ("id" when empty)
	// Allow reports whether u, with the scope the route rule granted, may use
	// the object. A missing object is a NotFound error. A refusal is answered
	// 404, as if the object did not exist; a feature whose objects' existence
	// is no secret may return a Forbidden error instead, to explain.
	Allow func(ctx context.Context, u *User, scope Scope, id int64) (bool, error)
}

// On returns the rule with an object check added (a route on two objects,
// such as a template and an upload to it, declares both).
func (r Rule) On(o Object) Rule {
	r.Objects = append(append([]Object(nil), r.Objects...), o)
	return r
}

// ErrNoAccess is what an object check returns for a user who may not see
// the object: answered as not found, so ids of other departments' objects
// reveal nothing.
var ErrNoAccess = errors.New("web: no access to object")

// checkObject runs the route's object check. A refusal is answered as
// 404 and recorded in the audit log as a denial.
func (rt *Router) checkObject(r *http.Request, u *User, scope Scope, o *Object) error {
	param := o.Param
	if param == "" {
		param = "id"
	}
	id, err := strconv.ParseInt(r.PathValue(param), 10, 64)
	if err != nil || id <= 0 {
		return NotFound()
	}
	ok, err := o.Allow(r.Context(), u, scope, id)
	var we *Error
	if err != nil && errors.As(err, &we) && we.Status == http.StatusForbidden {
		// A refusal the feature explains (the object's existence is no
		// secret, e.g. a published policy's other documents).
		rt.auth.Denied(r.Context(), u, r.Method, r.URL.Path+" ("+o.Kind+")")
		return err
	}
	if err != nil {
		return err
	}
	if !ok {
		rt.auth.Denied(r.Context(), u, r.Method, r.URL.Path+" ("+o.Kind+")")
		return NotFound()
	}
	return nil
}

// AnyObject is the object check for ward-wide data (standards, checklists,
// gap tables, admin screens): every role the route rule allows may use every
// object of the kind that exists. load returns a not-found error for an id
// that is no such object.
func AnyObject(kind string, load func(ctx context.Context, id int64) error) Object {
	return Object{Kind: kind, Allow: func(ctx context.Context, _ *User, _ Scope, id int64) (bool, error) {
		if err := load(ctx, id); err != nil {
			return false, err
		}
		return true, nil
	}}
}

// kept holds what a request's object checks loaded, for its handler.
type kept struct{ v map[any]any }

// Keep lets an object check hand what it loaded (e.g. the invitation it
// found) to the handler of the same request, which reads it with Kept
// instead of asking the database a second time. Outside a checked request
// it does nothing.
func Keep(ctx context.Context, key, v any) {
	k, _ := ctx.Value(keptKey).(*kept)
	if k == nil {
		return
	}
	if k.v == nil {
		k.v = map[any]any{}
	}
	k.v[key] = v
}

// Kept returns what an object check of this request kept under key.
func Kept(ctx context.Context, key any) (any, bool) {
	k, _ := ctx.Value(keptKey).(*kept)
	if k == nil {
		return nil, false
	}
	v, ok := k.v[key]
	return v, ok
}
