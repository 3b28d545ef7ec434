package org

import (
	"context"
	"slices"

	"mamori/internal/web"
)

// staffObject is the object check on one person of the roster: the whole
// ward for ward-wide roles, the user's own department sub-tree for a scoped
// role (an audited department sees its own staff only).
func (s *Service) staffObject() web.Object {
	return web.Object{Kind: "org.staff", Allow: func(ctx context.Context, u *web.User, scope web.Scope, id int64) (bool, error) {
		p, err := s.StaffMember(ctx, id)
		if err != nil {
			return false, err
		}
		visible, err := s.VisibleDepartments(ctx, u, scope)
		if err != nil {
			return false, err
		}
		return visible == nil || slices.Contains(visible, p.DepartmentID), nil
	}}
}

// departmentObject is the object check on a department (admin screens):
// any department that exists.
func (s *Service) departmentObject() web.Object {
	return web.AnyObject("org.department", func(ctx context.Context, id int64) error {
		_, err := s.Department(ctx, id)
		return err
	})
}

// userObject is the object check on a user account (admin screens).
func (s *Service) userObject() web.Object {
	return web.AnyObject("org.user", func(ctx context.Context, id int64) error {
		_, err := s.Account(ctx, id)
		return err
	})
}
