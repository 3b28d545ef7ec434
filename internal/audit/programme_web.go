package audit

import "mamori/internal/web"

// programmeRoutes registers the programme screens (being built).
func (m *Module) programmeRoutes(rt *web.Router) {}
