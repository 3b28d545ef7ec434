package auditweb

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"mamori/internal/auditlog"
	"mamori/internal/jp"
	"mamori/internal/tabular"
	"mamori/internal/web"
)

// listSpec is the audit log's list; the export parses with it too, so a
// file holds exactly the entries on screen (all pages).
var listSpec = &web.ListSpec{
	Path: "/admin/auditlog", ExportPath: "/admin/auditlog/export",
	Sorts:       []web.ListSort{{Key: "at", Label: "日時"}, {Key: "user", Label: "利用者"}, {Key: "action", Label: "操作"}},
	DefaultSort: "at", DefaultDesc: true,
	Filters: []web.ListFilter{
		{Key: "action", Label: "操作の種類", Options: actionOptions()},
		{Key: "user", Label: "利用者", Kind: web.FilterText, Hint: "氏名またはログインID"},
		{Key: "from", Label: "期間（開始日）", Kind: web.FilterDate, Canon: canonDate("開始日")},
		{Key: "to", Label: "期間（終了日）", Kind: web.FilterDate, Canon: canonDate("終了日")},
		{Key: "target", Label: "対象", Kind: web.FilterText, Hint: "例: 改善措置 12、職員 3、職員名簿"},
	},
	Search: "キーワード", SearchHint: "内容・対象・利用者・操作から探します（全角・半角、ひらがな・カタカナを区別しません）",
	Noun: "記録", Label: "監査ログの絞り込み",
	Empty: "記録はまだありません。ログイン・変更・ダウンロードがあると、ここに記録されます。",
}

// actionOptions are the 操作の種類 choices: each area as a whole, then each
// of its actions, by their Japanese names.
func actionOptions() []web.ListOption {
	var out []web.ListOption
	for _, g := range auditlog.ActionGroups {
		out = append(out, web.ListOption{Value: "group:" + g.Key, Label: "【" + g.Label + "】すべて"})
		for _, a := range g.Actions {
			out = append(out, web.ListOption{Value: a.Code, Label: a.Label})
		}
	}
	return out
}

// canonDate accepts a date as jp.ParseDate reads it (2026-04-01, 2026/4/1,
// 令和8年4月1日, R8.4.1) and gives it as YYYY-MM-DD.
func canonDate(label string) func(string) (string, string) {
	return func(v string) (string, string) {
		t, err := jp.ParseDate(v)
		if err != nil {
			return "", label + "は 2026-04-01 または 令和8年4月1日 の形で入力してください。"
		}
		return t.Format("2006-01-02"), ""
	}
}

// filter parses a list request into the log's filter. Wrong values are in
// l.Errors, shown beside their fields (and refused by the export).
func filter(r *http.Request) (*web.List, auditlog.Filter) {
	l := listSpec.Parse(r)
	f := auditlog.Filter{From: l.Date("from"), Words: l.Words(), Who: jp.SearchWords(l.Value("user")),
		Target: auditlog.ParseTargetFilter(l.Value("target"))}
	if to := l.Date("to"); !to.IsZero() {
		f.To = to.AddDate(0, 0, 1) // the whole day
		if !f.From.IsZero() && to.Before(f.From) {
			l.Refuse("to", "終了日は開始日と同じ日か、それより後の日にしてください。")
			f.To = f.From.AddDate(0, 0, 1)
		}
	}
	switch v := l.Value("action"); {
	case strings.HasPrefix(v, "group:"):
		f.Actions = auditlog.GroupActions(strings.TrimPrefix(v, "group:"))
	case v != "":
		f.Actions = []string{v}
	}
	f.Sort = map[string]string{"user": "user", "action": "action"}[l.Sort]
	// By time the natural order is newest first; by user or action, A to Z.
	f.Reverse = l.Desc != (f.Sort == "")
	return l, f
}

// row is one entry on the list, named for people.
type row struct {
	auditlog.Entry
	Label  string // the action's Japanese name ("" for a code without one)
	Alert  bool   // a refusal or a failure
	Who    person
	Target shownTarget
}

type listView struct {
	List *web.List
	Rows []row
}

func rows(es []auditlog.Entry, n names) []row {
	out := make([]row, 0, len(es))
	for _, e := range es {
		out = append(out, row{Entry: e, Label: auditlog.Label(e.Action), Alert: auditlog.Alerting[e.Action], Who: n.who(e), Target: n.target(e)})
	}
	return out
}

func (m *Module) list(w http.ResponseWriter, r *http.Request) error {
	l, f := filter(r)
	f.Limit, f.Offset = l.Limit(), l.Offset()
	es, total, err := m.log.List(r.Context(), f)
	if err != nil {
		return err
	}
	l.SetTotal(total)
	n := resolve(r.Context(), m.db, m.org, m.names, m.slog, es)
	return web.Render(w, r, http.StatusOK, "auditlog/list", "監査ログ", listView{List: l, Rows: rows(es, n)})
}

func (m *Module) export(w http.ResponseWriter, r *http.Request) error {
	format, err := tabular.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return web.Invalid("%s", err.Error())
	}
	l, f := filter(r)
	if err := l.Err(); err != nil {
		return err
	}
	es, _, err := m.log.List(r.Context(), f)
	if err != nil {
		return err
	}
	name := tabular.FileName("監査ログ", m.now().In(jp.JST).Format("20060102"), format)
	n := resolve(r.Context(), m.db, m.org, m.names, m.slog, es)
	return web.Send(w, r, m.log, web.Download{Name: name, ContentType: format.ContentType, Target: "auditlog.export",
		Detail: fmt.Sprintf("%s（%d 件）", name, len(es))},
		func(out io.Writer) error { return tabular.Write(out, format, table(es, n)) })
}

// Table lays out audit entries for export (`mamori export auditlog`):
// each action and target both in Japanese and as its code. The screen's
// export also names the people and objects (see table).
func Table(es []auditlog.Entry) tabular.Table { return table(es, names{}) }

func table(es []auditlog.Entry, n names) tabular.Table {
	t := tabular.Table{Sheet: "監査ログ", Headers: []string{"ID", "日時", "利用者", "ログインID", "操作", "操作コード", "対象", "対象コード", "内容", "接続元", "ハッシュ"}}
	for _, r := range rows(es, n) {
		label := r.Label
		if label == "" {
			label = r.Action
		}
		t.Rows = append(t.Rows, []string{strconv.FormatInt(r.ID, 10), jp.FormatWarekiDateTime(r.At) + r.At.In(jp.JST).Format(":05"),
			r.Who.Name, r.Login, label, r.Action, r.Target.Text(), r.Target.Raw, r.Detail, r.IP, r.Hash})
	}
	return t
}
