package auditweb

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode/utf8"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/org"
)

// object is what the audit log shows for a target that still exists: its
// name and its page.
type object struct{ Name, Link string }

// nameQuery looks up the names of one target kind: a query with one %s for
// the id placeholders, and how to read a row (the id first).
type nameQuery struct {
	sql  string
	scan func(rows *sql.Rows) (int64, object, error)
}

// clip shortens long text (a question, a title) for a table cell.
func clip(s string, n int) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(strings.TrimSpace(s))
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// simple reads (id, name) and links the kind's own page.
func simple(q, kind string) nameQuery {
	k, _ := auditlog.Kind(kind)
	return nameQuery{sql: q, scan: func(rows *sql.Rows) (int64, object, error) {
		var id int64
		var name string
		err := rows.Scan(&id, &name)
		o := object{Name: clip(name, 60)}
		if k.Link != "" {
			o.Link = fmt.Sprintf(k.Link, id)
		}
		return id, o, err
	}}
}

// via reads (id, ref, name) and links a page of ref (the parent object).
func via(q, link string) nameQuery {
	return nameQuery{sql: q, scan: func(rows *sql.Rows) (int64, object, error) {
		var id, ref int64
		var name string
		err := rows.Scan(&id, &ref, &name)
		return id, object{Name: clip(name, 60), Link: fmt.Sprintf(link, ref)}, err
	}}
}

// nameQueries are the look-ups of the target kinds whose objects have
// names in the database (departments come from the organisation's read
// API). Each runs once per page with every id of its kind on the page.
// TestNameQueries runs every one on a migrated database.
var nameQueries = map[string]nameQuery{
	"user":                 simple("SELECT id, display_name FROM users WHERE id IN (%s)", "user"),
	"mail":                 simple("SELECT id, subject FROM mail_outbox WHERE id IN (%s)", "mail"),
	"staff":                simple("SELECT id, name FROM staff WHERE id IN (%s)", "staff"),
	"improvement_action":   simple("SELECT id, title FROM improvement_actions WHERE id IN (%s)", "improvement_action"),
	"improvement_evidence": via("SELECT id, action_id, filename FROM improvement_action_evidence WHERE id IN (%s)", "/improve/%d"),
	"framework":            simple("SELECT id, title FROM frameworks WHERE id IN (%s)", "framework"),
	"checklist_template": {sql: "SELECT id, title, version FROM checklist_templates WHERE id IN (%s)", scan: func(rows *sql.Rows) (int64, object, error) {
		var id, version int64
		var title string
		err := rows.Scan(&id, &title, &version)
		return id, object{Name: fmt.Sprintf("%s（%s版）", clip(title, 50), jp.FiscalYearLabel(int(version))), Link: fmt.Sprintf("/catalog/templates/%d", id)}, err
	}},
	"checklist_item": {sql: "SELECT id, code, question FROM checklist_items WHERE id IN (%s)", scan: func(rows *sql.Rows) (int64, object, error) {
		var id int64
		var code, question string
		err := rows.Scan(&id, &code, &question)
		return id, object{Name: code + " " + clip(question, 40), Link: fmt.Sprintf("/catalog/items/%d", id)}, err
	}},
	"clause_mapping": {sql: `SELECT m.id, m.from_clause_id, f.number, t.number FROM clause_mappings m
		JOIN clauses f ON f.id = m.from_clause_id JOIN clauses t ON t.id = m.to_clause_id WHERE m.id IN (%s)`,
		scan: func(rows *sql.Rows) (int64, object, error) {
			var id, from int64
			var a, b string
			err := rows.Scan(&id, &from, &a, &b)
			return id, object{Name: a + " ↔ " + b, Link: fmt.Sprintf("/catalog/clauses/%d", from)}, err
		}},
	"built_checklist":  simple("SELECT id, title FROM built_checklists WHERE id IN (%s)", "built_checklist"),
	"policy_document":  simple("SELECT id, title FROM policy_documents WHERE id IN (%s)", "policy_document"),
	"policy_gap_table": simple("SELECT id, title FROM policy_gap_tables WHERE id IN (%s)", "policy_gap_table"),
	"policy_version": {sql: `SELECT v.id, d.title, v.label, v.status FROM policy_versions v
		JOIN policy_documents d ON d.id = v.document_id WHERE v.id IN (%s)`,
		scan: func(rows *sql.Rows) (int64, object, error) {
			var id int64
			var title, label, status string
			err := rows.Scan(&id, &title, &label, &status)
			if label == "" {
				label = map[string]string{"draft": "改正案", "adopted": "施行中の版", "superseded": "旧版"}[status]
			}
			return id, object{Name: strings.TrimSpace(clip(title, 40) + " " + label), Link: fmt.Sprintf("/policy/versions/%d", id)}, err
		}},
	"policy_change": {sql: "SELECT id, version_id, article_key, caption FROM policy_changes WHERE id IN (%s)",
		scan: func(rows *sql.Rows) (int64, object, error) {
			var id, version int64
			var key, caption string
			err := rows.Scan(&id, &version, &key, &caption)
			if caption != "" {
				key += "（" + clip(caption, 30) + "）"
			}
			return id, object{Name: key, Link: fmt.Sprintf("/policy/versions/%d/draft", version)}, err
		}},
	"policy_gap_row": {sql: "SELECT id, table_id, clause_number, clause_title FROM policy_gap_rows WHERE id IN (%s)",
		scan: func(rows *sql.Rows) (int64, object, error) {
			var id, table int64
			var number, title string
			err := rows.Scan(&id, &table, &number, &title)
			return id, object{Name: strings.TrimSpace(number + " " + clip(title, 40)), Link: fmt.Sprintf("/policy/gap/%d#row-%d", table, id)}, err
		}},
	"policy_quiz_question": via("SELECT id, version_id, question FROM policy_quiz_questions WHERE id IN (%s)", "/policy/versions/%d/quiz"),
	"blob":                 simple("SELECT id, filename FROM blobs WHERE id IN (%s)", "blob"),
}

// person is who made an entry, as the list shows them.
type person struct {
	Name  string // display name, or the login as typed (a failed login), or 「システム」
	Login string
	Link  string // the account's page; "" for no account
}

// names are the people and objects of one page of entries.
type names struct {
	users   map[int64]person
	logins  map[string]person
	objects map[string]map[int64]object
}

// resolve looks up the names of the people and objects of es with one
// query per kind (never one per row). A failed look-up is logged and
// leaves those names out: the list then shows 「改善措置 No.12」.
func resolve(ctx context.Context, db *database.DB, orgs org.Reader, reg *module.Names, log *slog.Logger, es []auditlog.Entry) names {
	n := names{users: map[int64]person{}, logins: map[string]person{}, objects: map[string]map[int64]object{}}
	ids := map[string][]int64{}
	var logins []string
	for _, e := range es {
		if e.UserID != 0 {
			ids["_user"] = append(ids["_user"], e.UserID)
		} else if e.Login != "" && e.Login != "system" && !strings.HasPrefix(e.Login, "cli:") {
			logins = append(logins, e.Login)
		}
		if t := auditlog.ParseTarget(e.Action, e.Target); t.ID != 0 {
			ids[t.Kind] = append(ids[t.Kind], t.ID)
		}
	}
	if err := n.people(ctx, db, ids["_user"], logins); err != nil {
		log.WarnContext(ctx, "audit log: user names", "err", err)
	}
	delete(ids, "_user")
	for kind, list := range ids {
		objs, err := lookup(ctx, db, orgs, reg, kind, list)
		if err != nil {
			log.WarnContext(ctx, "audit log: target names", "kind", kind, "err", err)
			continue
		}
		if objs != nil {
			n.objects[kind] = objs
		}
	}
	return n
}

// chunk is how many ids one look-up query carries at most (an export
// names thousands of objects; both databases limit the parameters).
const chunk = 500

// people looks up the accounts of the entries' users, and of the logins
// typed at failed logins.
func (n *names) people(ctx context.Context, db *database.DB, ids []int64, logins []string) error {
	ids, logins = uniq(ids), uniq(logins)
	for len(ids)+len(logins) > 0 {
		var conds []string
		var args []any
		if len(ids) > 0 {
			part := ids[:min(chunk, len(ids))]
			ids = ids[len(part):]
			conds = append(conds, "id IN ("+database.Placeholders(len(part))+")")
			for _, id := range part {
				args = append(args, id)
			}
		}
		if len(logins) > 0 {
			part := logins[:min(chunk, len(logins))]
			logins = logins[len(part):]
			conds = append(conds, "login IN ("+database.Placeholders(len(part))+")")
			for _, l := range part {
				args = append(args, l)
			}
		}
		if err := n.scanPeople(ctx, db, "SELECT id, login, display_name FROM users WHERE "+strings.Join(conds, " OR "), args); err != nil {
			return err
		}
	}
	return nil
}

func (n *names) scanPeople(ctx context.Context, db *database.DB, q string, args []any) error {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p person
		if err := rows.Scan(&id, &p.Login, &p.Name); err != nil {
			return err
		}
		p.Link = fmt.Sprintf("/admin/users/%d/edit", id)
		n.users[id] = p
		n.logins[p.Login] = p
	}
	return rows.Err()
}

// lookup finds the names of the objects ids of one kind.
func lookup(ctx context.Context, db *database.DB, orgs org.Reader, reg *module.Names, kind string, ids []int64) (map[int64]object, error) {
	ids = uniq(ids)
	out := map[int64]object{}
	if fn, ok := reg.Lookup(kind); ok {
		named, err := fn(ctx, ids)
		if err != nil {
			return nil, err
		}
		for id, n := range named {
			out[id] = object{Name: clip(n.Name, 60), Link: n.Link}
		}
		return out, nil
	}
	if kind == "department" {
		if orgs == nil {
			return nil, nil
		}
		tree, err := orgs.Departments(ctx)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if d := tree.ByID[id]; d != nil {
				out[id] = object{Name: d.Name, Link: fmt.Sprintf("/admin/departments/%d/edit", id)}
			}
		}
		return out, nil
	}
	q, ok := nameQueries[kind]
	if !ok {
		return nil, nil // names come from the target alone (年度, ログインID)
	}
	for len(ids) > 0 {
		part := ids[:min(chunk, len(ids))]
		ids = ids[len(part):]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		if err := scanObjects(ctx, db, q, args, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func scanObjects(ctx context.Context, db *database.DB, q nameQuery, args []any, out map[int64]object) error {
	rows, err := db.Query(ctx, fmt.Sprintf(q.sql, database.Placeholders(len(args))), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		id, o, err := q.scan(rows)
		if err != nil {
			return err
		}
		out[id] = o
	}
	return rows.Err()
}

func uniq[T int64 | string](xs []T) []T {
	slices.Sort(xs)
	return slices.Compact(xs)
}

// who is how the list names the person of e.
func (n names) who(e auditlog.Entry) person {
	if p, ok := n.users[e.UserID]; ok && e.UserID != 0 {
		return p
	}
	switch {
	case e.Login == "system" || e.Login == "":
		return person{Name: "システム", Login: e.Login}
	case strings.HasPrefix(e.Login, "cli:"):
		return person{Name: "コマンド（" + strings.TrimPrefix(e.Login, "cli:") + "）", Login: e.Login}
	}
	if p, ok := n.logins[e.Login]; ok {
		return p
	}
	return person{Name: e.Login, Login: e.Login}
}

// target is how the list shows the target of e: the object's name and page
// when it still exists, else its kind and number.
func (n names) target(e auditlog.Entry) shownTarget {
	t := auditlog.ParseTarget(e.Action, e.Target)
	s := shownTarget{Raw: t.Raw, Name: t.Label, Link: t.Link} // the label names the kind: 「改善措置 No.12」
	if t.Kind == "" || t.ID == 0 {
		return s
	}
	objs, looked := n.objects[t.Kind]
	if o, ok := objs[t.ID]; ok {
		s.Noun, s.Name, s.Link = t.Noun, o.Name, o.Link
	} else if looked {
		s.Link = "" // gone: no link to a page that would say 「見つかりません」
	}
	return s
}

// shownTarget is a target on the list.
type shownTarget struct {
	Raw  string // the code, on hover and in the export
	Noun string // the kind, before the name: 改善措置
	Name string
	Link string
}

// Text is the target in one line for the export: 「改善措置 事故対応手順の見直し」.
func (s shownTarget) Text() string { return strings.TrimSpace(s.Noun + " " + s.Name) }
