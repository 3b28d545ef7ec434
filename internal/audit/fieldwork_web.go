package audit

import "mamori/internal/web"

// fieldworkRoutes registers the fieldwork screens (being built).
func (m *Module) fieldworkRoutes(rt *web.Router) {}
