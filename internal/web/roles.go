package web

import (
	"net/http"
	"slices"
)

// RoleSet is a group of roles a feature declares once ("who edits the
// catalogue") and uses both for its routes' rule and for what its pages
// offer, so that a button and the route behind it cannot disagree.
type RoleSet struct{ roles []Role }

// NewRoleSet returns the set of the given roles.
func NewRoleSet(roles ...Role) RoleSet { return RoleSet{roles: slices.Clone(roles)} }

// Rule is the route rule allowing the set's roles ward-wide.
func (s RoleSet) Rule() Rule { return Allow(s.roles...) }

// Has reports whether role is in the set.
func (s RoleSet) Has(role Role) bool { return slices.Contains(s.roles, role) }

// HasUser reports whether u (nil: nobody signed in) has a role of the set.
func (s RoleSet) HasUser(u *User) bool { return u != nil && s.Has(u.Role) }

// Allows reports whether the user signed in on r has a role of the set.
func (s RoleSet) Allows(r *http.Request) bool { return s.HasUser(UserFrom(r.Context())) }

// Roles lists the set's roles in the order they were declared.
func (s RoleSet) Roles() []Role { return slices.Clone(s.roles) }
