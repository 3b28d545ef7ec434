package catalog

// The mapping screens: a clause's mappings in both directions with the
// add form for editors, and the table of two framework editions' mappings
// (its download is in export.go).

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"mamori/internal/web"
)

// mappingForm is the add-mapping form: the framework edition chosen, the
// clause chosen from it or a typed reference, the note, and the errors
// per field.
type mappingForm struct {
	Framework int64
	Clause    string
	Ref       string
	Note      string
	Errors    map[string]string
}

// Err returns the error shown next to a field.
func (f mappingForm) Err(field string) string { return f.Errors[field] }

func formInt64(s string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}

func mappingFormFromQuery(r *http.Request) mappingForm {
	return mappingForm{Framework: formInt64(r.URL.Query().Get("fw"))}
}

// renderClause shows a clause: the items that check it and its mappings
// in both directions, with the add form for editors.
func (w *Web) renderClause(rw http.ResponseWriter, r *http.Request, status int, id int64, f mappingForm) error {
	ctx := r.Context()
	c, err := w.store.Clause(ctx, id)
	if err != nil {
		return err
	}
	items, err := w.store.Items(ctx, ItemFilter{ClauseID: id})
	if err != nil {
		return err
	}
	ts, err := w.store.Templates(ctx)
	if err != nil {
		return err
	}
	byID := map[int64]StoredTemplate{}
	for _, t := range ts {
		byID[t.ID] = t
	}
	maps, err := w.store.Mappings(ctx, id)
	if err != nil {
		return err
	}
	checkedVia := 0
	for _, m := range maps {
		if m.OtherItems > 0 {
			checkedVia++
		}
	}
	data := map[string]any{"C": c, "Items": items, "Templates": byID, "L": labels, "Mappings": maps, "CheckedVia": checkedVia, "Form": f, "CanEdit": editors.Allows(r)}
	if editors.Allows(r) {
		fws, err := w.store.Frameworks(ctx)
		if err != nil {
			return err
		}
		var others []StoredFramework
		for _, fw := range fws {
			if fw.Code != c.Framework {
				others = append(others, fw)
			}
		}
		data["Frameworks"] = others
		if f.Framework != 0 {
			choices, err := w.store.FrameworkClauses(ctx, f.Framework)
			if err != nil {
				return err
			}
			data["Choices"] = choices
		}
	}
	return web.Render(rw, r, status, "catalog/clause", c.Number+" "+c.Title, data)
}

func (w *Web) addMapping(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := w.store.Clause(ctx, id); err != nil {
		return err
	}
	f := mappingForm{Framework: formInt64(r.FormValue("fw")), Clause: r.FormValue("clause"), Ref: strings.TrimSpace(r.FormValue("ref")),
		Note: r.FormValue("note"), Errors: map[string]string{}}
	var target int64
	switch {
	case f.Ref != "":
		prefer := map[string]int64{}
		if f.Framework != 0 {
			if fw, err := w.store.Framework(ctx, f.Framework); err == nil {
				prefer[fw.Code] = fw.ID
			}
		}
		mc, err := w.store.ResolveRef(ctx, f.Ref, prefer)
		var re *RefError
		if errors.As(err, &re) {
			f.Errors["ref"] = re.Msg
		} else if err != nil {
			return err
		}
		target = mc.ID
	case f.Clause != "":
		if target = formInt64(f.Clause); target == 0 {
			f.Errors["clause"] = "選んだ条項を読み取れませんでした。もう一度選んでください"
		}
	default:
		f.Errors["clause"] = "対応づける条項を一覧から選ぶか、「枠組みコード:番号」（例: mic-policy:4.1）で入力してください"
	}
	if len(f.Errors) == 0 {
		_, err := AddMapping(ctx, w.store.db, w.log, id, target, f.Note, w.now())
		var me *MappingError
		switch {
		case errors.As(err, &me):
			field := me.Field
			if field == "clause" && f.Ref != "" {
				field = "ref"
			}
			f.Errors[field] = me.Msg
		case err != nil:
			return err
		default:
			other, _ := w.store.MappedClauseByID(ctx, target)
			return web.Redirect(rw, r, fmt.Sprintf("/catalog/clauses/%d#mappings", id),
				fmt.Sprintf("%s %s との対応を追加しました。", other.Ref(), other.Title), true)
		}
	}
	return w.renderClause(rw, r, http.StatusBadRequest, id, f)
}

func (w *Web) removeMapping(rw http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	from, to, err := w.store.MappingOf(r.Context(), id)
	if err != nil {
		return err
	}
	back := formInt64(r.FormValue("back"))
	if back != from && back != to {
		back = from
	}
	if err := RemoveMapping(r.Context(), w.store.db, w.log, id); err != nil {
		return err
	}
	return web.Redirect(rw, r, fmt.Sprintf("/catalog/clauses/%d#mappings", back), "対応を削除しました。", true)
}

// pairFrameworks reads the framework in the path and the one in ?to=.
func (w *Web) pairFrameworks(r *http.Request) (StoredFramework, int64, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return StoredFramework{}, 0, err
	}
	f, err := w.store.Framework(r.Context(), id)
	if err != nil {
		return f, 0, err
	}
	to := strings.TrimSpace(r.URL.Query().Get("to"))
	if to == "" {
		return f, 0, nil
	}
	tid := formInt64(to)
	if tid == 0 {
		return f, 0, web.Invalid("比べる枠組み（to）の指定が正しくありません。一覧から選んでください。")
	}
	if tid == id {
		return f, 0, web.Invalid("同じ枠組みどうしの対応表は作れません。別の枠組みを選んでください。")
	}
	return f, tid, nil
}

// pairPage lists the frameworks that have mappings with this one and,
// for the one chosen, every clause with its counterparts.
func (w *Web) pairPage(rw http.ResponseWriter, r *http.Request) error {
	f, to, err := w.pairFrameworks(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	partners, err := w.store.MappingPartners(ctx, f.ID)
	if err != nil {
		return err
	}
	all, err := w.store.Frameworks(ctx)
	if err != nil {
		return err
	}
	var others []StoredFramework
	for _, o := range all {
		if o.ID != f.ID {
			others = append(others, o)
		}
	}
	if to == 0 && len(partners) > 0 && r.URL.Query().Get("to") == "" {
		to = partners[0].Framework.ID
	}
	data := map[string]any{"F": f, "Partners": partners, "Others": others, "To": to}
	if to != 0 {
		t, err := w.store.Pair(ctx, f.ID, to)
		if err != nil {
			return err
		}
		data["Pair"] = t
		data["MappedB"] = countMappedB(t)
	}
	return web.Render(rw, r, http.StatusOK, "catalog/mappings", f.Title+"（条項の対応表）", data)
}
