package audit

import "mamori/internal/web"

// planRoutes registers the plan screens (being built).
func (m *Module) planRoutes(rt *web.Router) {}
