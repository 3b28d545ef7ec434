package org

import "mamori/internal/web"

// importRoutes registers the roster import screens.
func (s *Service) importRoutes(rt *web.Router, rule web.Rule) {}
