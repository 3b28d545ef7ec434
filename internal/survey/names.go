package survey

import (
	"fmt"

	"mamori/internal/database"
	"mamori/internal/module"
)

// registerNames tells the audit log how to name the module's objects.
func registerNames(reg *module.Names, db *database.DB) {
	if reg == nil || db == nil {
		return
	}
	reg.Register("survey_campaign", module.SQLNames(db, "SELECT id, id, code, title FROM survey_campaigns WHERE id IN (%s)",
		func(id, _ int64, code, title string) module.Named {
			return module.Named{Name: code + " " + title, Link: fmt.Sprintf("/selfcheck/campaigns/%d", id)}
		}))
	reg.Register("survey_question", module.SQLNames(db, "SELECT id, fiscal_year, code, text FROM survey_questions WHERE id IN (%s)",
		func(id, _ int64, code, text string) module.Named {
			return module.Named{Name: code + " " + text, Link: fmt.Sprintf("/selfcheck/questions/%d", id)}
		}))
}
