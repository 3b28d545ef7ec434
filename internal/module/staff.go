package module

import (
	"context"
	"sync"
	"time"

	"mamori/internal/org"
	"mamori/internal/web"
)

// StaffLinks finds the roster entry of a signed-in user, for the features
// every member of staff takes part in (a questionnaire to answer, a course
// to take). A busy morning asks for it on every request, twice (the
// object check and the handler), so each answer is kept for staffTTL: an
// account's link to the roster changes rarely, and a change is seen
// within that time.
type StaffLinks struct {
	org  org.Reader
	kept sync.Map // user id → staffLink
}

type staffLink struct {
	id int64
	at time.Time
}

const staffTTL = 30 * time.Second

// NewStaffLinks returns the look-up on the organisation's read API.
func NewStaffLinks(r org.Reader) *StaffLinks { return &StaffLinks{org: r} }

// Of is user u's staff id (0: no user, or an account not linked to the roster).
func (s *StaffLinks) Of(ctx context.Context, u *web.User) (int64, error) {
	if u == nil {
		return 0, nil
	}
	if u.StaffID != 0 {
		// Read with the session: the link as it is now.
		return u.StaffID, nil
	}
	now := time.Now()
	if v, ok := s.kept.Load(u.ID); ok && now.Sub(v.(staffLink).at) < staffTTL {
		return v.(staffLink).id, nil
	}
	a, err := s.org.Account(ctx, u.ID)
	if err != nil {
		return 0, err
	}
	s.kept.Store(u.ID, staffLink{a.StaffID, now})
	return a.StaffID, nil
}
