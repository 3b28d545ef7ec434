package audit

import (
	"fmt"

	"mamori/internal/database"

	"mamori/internal/module"
)

// registerNames tells the audit log how to name the module's objects
// (module.Names), so that its screens never read the audit tables.
func registerNames(reg *module.Names, db *database.DB) {
	if reg == nil || db == nil {
		return
	}
	query := func(q string, name func(ref int64, a, b string, id int64) module.Named) module.NameFunc {
		return module.SQLNames(db, q, func(id, ref int64, a, b string) module.Named { return name(ref, a, b, id) })
	}
	reg.Register("audit_example", query("SELECT id, id, code, title FROM audit_response_examples WHERE id IN (%s)",
		func(_ int64, code, title string, id int64) module.Named {
			return module.Named{Name: code + " " + title, Link: fmt.Sprintf("/audit/examples/edit/%d", id)}
		}))
	reg.Register("audit_engagement", query("SELECT id, id, code, title FROM audit_engagements WHERE id IN (%s)",
		func(_ int64, code, title string, id int64) module.Named {
			return module.Named{Name: code + " " + title, Link: fmt.Sprintf("/audit/%d", id)}
		}))
	reg.Register("audit_item", query("SELECT id, engagement_id, code, question FROM audit_items WHERE id IN (%s)",
		func(eng int64, code, question string, id int64) module.Named {
			return module.Named{Name: code + " " + question, Link: fmt.Sprintf("/audit/%d/items/%d", eng, id)}
		}))
	reg.Register("audit_evidence", query("SELECT id, engagement_id, filename, kind FROM audit_evidence WHERE id IN (%s)",
		func(eng int64, name, _ string, _ int64) module.Named {
			return module.Named{Name: name, Link: fmt.Sprintf("/audit/%d", eng)}
		}))
	reg.Register("audit_finding", query("SELECT id, engagement_id, CAST(seq AS TEXT), title FROM audit_findings WHERE id IN (%s)",
		func(eng int64, seq, title string, id int64) module.Named {
			return module.Named{Name: "No." + seq + " " + title, Link: fmt.Sprintf("/audit/%d/findings/%d", eng, id)}
		}))
	reg.Register("audit_request", query("SELECT id, engagement_id, name, purpose FROM audit_doc_requests WHERE id IN (%s)",
		func(eng int64, name, _ string, _ int64) module.Named {
			return module.Named{Name: name, Link: fmt.Sprintf("/audit/%d/presurvey", eng)}
		}))
	reg.Register("audit_comment", query("SELECT id, engagement_id, section, body FROM audit_report_comments WHERE id IN (%s)",
		func(eng int64, _, body string, _ int64) module.Named {
			return module.Named{Name: body, Link: fmt.Sprintf("/audit/%d/report", eng)}
		}))
	reg.Register("audit_interview", query("SELECT id, engagement_id, person, position FROM audit_interviews WHERE id IN (%s)",
		func(eng int64, person, position string, id int64) module.Named {
			return module.Named{Name: (position + " " + person), Link: fmt.Sprintf("/audit/%d/interviews/%d", eng, id)}
		}))
}
