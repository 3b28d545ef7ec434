package org

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"mamori/internal/web"
)

// siteInfoTTL is how long the facts every page shows are kept before they
// are read again. Changes made through this Service drop the copy at once;
// the TTL bounds how long another instance on the same PostgreSQL (or a
// change made inside a transaction that had not committed yet) can leave a
// page showing the old value.
const siteInfoTTL = 30 * time.Second

// siteInfo caches web.Site: every rendered page shows it, and reading it
// costs three queries.
type siteInfo struct {
	mu  sync.Mutex // serialises stores against Invalidate
	gen uint64     // bumped by Invalidate; a load started before is not kept
	cur atomic.Pointer[siteEntry]
}

type siteEntry struct {
	site     web.Site
	from, to time.Time // by the service clock
}

// SiteInfo returns the ward name, the current 年度 and the demo flag for
// the page header, read from the database at most once per siteInfoTTL.
func (s *Service) SiteInfo(ctx context.Context) web.Site {
	now := s.now()
	if e := s.site.cur.Load(); e != nil && !now.Before(e.from) && now.Before(e.to) {
		return e.site
	}
	s.site.mu.Lock()
	gen := s.site.gen
	s.site.mu.Unlock()
	ward, err := s.Setting(ctx, "ward_name")
	demo, derr := s.Setting(ctx, settingDemo)
	site := web.Site{WardName: ward, FiscalYear: s.CurrentFiscalYear(ctx), Demo: demo == "1"}
	if err != nil || derr != nil {
		return site // not kept: the next page tries again
	}
	s.site.mu.Lock()
	if s.site.gen == gen {
		s.site.cur.Store(&siteEntry{site: site, from: now, to: now.Add(siteInfoTTL)})
	}
	s.site.mu.Unlock()
	return site
}

// InvalidateSiteInfo drops the cached site facts, so that the next page
// reads them again; called when a setting or the current 年度 changes.
func (s *Service) InvalidateSiteInfo() {
	s.site.mu.Lock()
	s.site.gen++
	s.site.cur.Store(nil)
	s.site.mu.Unlock()
}
