package audit

import "mamori/internal/web"

// presurveyRoutes registers the presurvey screens (being built).
func (m *Module) presurveyRoutes(rt *web.Router) {}
