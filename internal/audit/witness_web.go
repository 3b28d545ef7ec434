package audit

import "mamori/internal/web"

// witnessRoutes registers the witness screens (being built).
func (m *Module) witnessRoutes(rt *web.Router) {}
