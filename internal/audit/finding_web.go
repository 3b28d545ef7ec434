package audit

import "mamori/internal/web"

// findingRoutes registers the finding screens (being built).
func (m *Module) findingRoutes(rt *web.Router) {}
