package auditweb

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/jp"
	"mamori/internal/tabular"
	"mamori/internal/web"
)

// pageSize is how many entries one page of the list shows.
const pageSize = 100

type listView struct {
	Entries   []auditlog.Entry
	Total     int
	Query     url.Values
	Page      int
	Pages     int
	Formats   []tabular.Format
	PrevQuery string
	NextQuery string
}

// filter reads the list's filters from the query: dates in any form
// jp.ParseDate takes, the "to" day included.
func filter(r *http.Request) (auditlog.Filter, error) {
	q := r.URL.Query()
	f := auditlog.Filter{Login: q.Get("login"), Action: q.Get("action"), Text: q.Get("text")}
	if v := q.Get("from"); v != "" {
		t, err := jp.ParseDate(v)
		if err != nil {
			return f, web.Invalid("開始日: %s", err.Error())
		}
		f.From = t
	}
	if v := q.Get("to"); v != "" {
		t, err := jp.ParseDate(v)
		if err != nil {
			return f, web.Invalid("終了日: %s", err.Error())
		}
		f.To = t.Add(24 * time.Hour)
	}
	return f, nil
}

func (m *Module) list(w http.ResponseWriter, r *http.Request) error {
	f, err := filter(r)
	if err != nil {
		return err
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	f.Limit, f.Offset = pageSize, (page-1)*pageSize
	es, total, err := m.log.List(r.Context(), f)
	if err != nil {
		return err
	}
	pq := r.URL.Query()
	pq.Set("page", strconv.Itoa(page-1))
	prev := pq.Encode()
	pq.Set("page", strconv.Itoa(page+1))
	return web.Render(w, r, http.StatusOK, "auditlog/list", "監査ログ", listView{Entries: es, Total: total, Query: r.URL.Query(), Page: page,
		Pages: max(1, (total+pageSize-1)/pageSize), Formats: tabular.Formats, PrevQuery: prev, NextQuery: pq.Encode()})
}

func (m *Module) export(w http.ResponseWriter, r *http.Request) error {
	format, err := tabular.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return web.Invalid("%s", err.Error())
	}
	f, err := filter(r)
	if err != nil {
		return err
	}
	name := tabular.FileName("監査ログ", m.now().In(jp.JST).Format("20060102"), format)
	es, _, err := m.log.List(r.Context(), f)
	if err != nil {
		return err
	}
	return web.Send(w, r, m.log, web.Download{Name: name, ContentType: format.ContentType, Target: "auditlog.export", Detail: name},
		func(out io.Writer) error { return tabular.Write(out, format, Table(es)) })
}

// Table lays out audit entries for export (the screen's download and
// `mamori export auditlog`).
func Table(es []auditlog.Entry) tabular.Table {
	t := tabular.Table{Sheet: "監査ログ", Headers: []string{"ID", "日時", "利用者", "操作", "対象", "内容", "接続元", "ハッシュ"}}
	for _, e := range es {
		t.Rows = append(t.Rows, []string{fmt.Sprint(e.ID), jp.FormatWarekiDateTime(e.At) + e.At.In(jp.JST).Format(":05"), e.Login, e.Action, e.Target, e.Detail, e.IP, e.Hash})
	}
	return t
}
