package learning

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
	reg.Register("learning_campaign", module.SQLNames(db, "SELECT id, id, code, title FROM learning_campaigns WHERE id IN (%s)",
		func(id, _ int64, code, title string) module.Named {
			return module.Named{Name: code + " " + title, Link: fmt.Sprintf("/learning/campaigns/%d", id)}
		}))
	reg.Register("learning_course", module.SQLNames(db, "SELECT id, fiscal_year, code, title FROM learning_courses WHERE id IN (%s)",
		func(id, _ int64, code, title string) module.Named {
			return module.Named{Name: code + " " + title, Link: fmt.Sprintf("/learning/courses/%d", id)}
		}))
	reg.Register("learning_practice", module.SQLNames(db, "SELECT id, id, code, trainee_name FROM learning_practice WHERE id IN (%s)",
		func(id, _ int64, code, name string) module.Named {
			return module.Named{Name: code + " " + name, Link: fmt.Sprintf("/learning/practice/results/%d", id)}
		}))
	reg.Register("learning_assignment", module.SQLNames(db, `SELECT a.id, a.campaign_id, c.code, c.title FROM learning_assignments a
		JOIN learning_campaigns c ON c.id = a.campaign_id WHERE a.id IN (%s)`,
		func(id, campaign int64, code, title string) module.Named {
			return module.Named{Name: fmt.Sprintf("%s %s（受講者 %d）", code, title, id), Link: fmt.Sprintf("/learning/campaigns/%d", campaign)}
		}))
}
