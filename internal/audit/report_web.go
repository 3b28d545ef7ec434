package audit

import "mamori/internal/web"

// reportRoutes registers the report screens (being built).
func (m *Module) reportRoutes(rt *web.Router) {}
