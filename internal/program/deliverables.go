package program

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/web"
)

// The deliverables register (成果物の管理): every module's deliverable of
// the year with its state (未作成 / 作成中 / 確定 / 納品済), version and date,
// each downloadable in its formats; the areas of DESIGN.md's deliverables
// table that have nothing yet are listed as 未作成.

// Deliverable states.
const (
	DelivNone      = "none"      // 未作成
	DelivDraft     = "draft"     // 作成中
	DelivFinal     = "final"     // 確定
	DelivDelivered = "delivered" // 納品済
)

// DelivStates are the states a manager may set, in order.
var DelivStates = []struct{ Code, Label string }{{DelivDraft, "作成中"}, {DelivFinal, "確定"}, {DelivDelivered, "納品済"}}

var delivLabels = map[string]string{DelivNone: "未作成", DelivDraft: "作成中", DelivFinal: "確定", DelivDelivered: "納品済"}

// expectedAreas are the areas of the seed's deliverables (DESIGN.md) by
// the module that makes them.
var expectedAreas = []struct{ Module, Area string }{
	{"audit", "内部監査・外部監査（チェックリスト・監査計画書・監査報告書）"}, {"selfcheck", "自己点検（調査票・調査結果報告書）"},
	{"learning", "教育・研修（研修資料）"}, {"drill", "事故対応訓練（業務計画書・訓練資料・評価報告書・結果報告書）"},
	{"incident", "インシデント対応（再発防止レポート・年間総括）"}, {"vendor", "外部委託・クラウド（チェックリスト）"},
	{"policy", "ポリシー改訂（整合表・見え消し版・新旧対照表）"}, {"scan", "技術的検証（実施計画書・結果報告書）"}, {"program", "進捗管理（議事録・次期支援計画書（案））"},
}

// DelivRow is one row of the register.
type DelivRow struct {
	Module, ModuleKey, Key, Title string
	Formats                       []string
	Status                        string
	Version                       string
	DeliveredOn                   time.Time
	Note                          string
}

// StatusLabel is the state in Japanese.
func (d DelivRow) StatusLabel() string { return delivLabels[d.Status] }

// Register lists fiscal year fy's deliverables with their states.
func (s *Store) Register(ctx context.Context, fy int, list func(context.Context, int) ([]module.YearDeliverable, error)) ([]DelivRow, error) {
	type state struct {
		status, version, delivered, note string
	}
	saved := map[string]state{}
	rows, err := s.db.Query(ctx, "SELECT module_key, doc_key, status, version, delivered_on, note FROM program_deliverables WHERE fiscal_year = ?", fy)
	if err != nil {
		return nil, fmt.Errorf("program.Register: %w", err)
	}
	for rows.Next() {
		var mk, dk string
		var st state
		if err := rows.Scan(&mk, &dk, &st.status, &st.version, &st.delivered, &st.note); err != nil {
			rows.Close()
			return nil, err
		}
		saved[mk+"\x00"+dk] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var ds []module.YearDeliverable
	if list != nil {
		if ds, err = list(ctx, fy); err != nil {
			return nil, err
		}
	}
	var out []DelivRow
	have := map[string]bool{}
	for _, d := range ds {
		r := DelivRow{Module: d.Module, ModuleKey: d.ModuleKey, Key: d.Key, Title: d.Title, Formats: d.Formats, Status: DelivDraft}
		if st, ok := saved[d.ModuleKey+"\x00"+d.Key]; ok {
			r.Status, r.Version, r.DeliveredOn, r.Note = st.status, st.version, jp.ParseDateKey(st.delivered), st.note
		}
		have[d.ModuleKey] = true
		out = append(out, r)
	}
	for _, a := range expectedAreas {
		if !have[a.Module] {
			out = append(out, DelivRow{ModuleKey: a.Module, Title: a.Area, Status: DelivNone})
		}
	}
	return out, nil
}

// SetDelivState records a deliverable's state, version and delivery date.
func (s *Store) SetDelivState(ctx context.Context, fy int, moduleKey, key, status, version, delivered, note, by string) error {
	fe := FieldErrors{}
	if delivLabels[status] == "" || status == DelivNone {
		fe["workstream"] = "状況を選んでください。"
	}
	d := parseDay("end", "納品日", delivered, fe)
	if status == DelivDelivered && d.IsZero() && fe["end"] == "" {
		fe["end"] = "納品済には納品日を入力してください。"
	}
	if utf8.RuneCountInString(version) > 50 || utf8.RuneCountInString(note) > 500 {
		fe["note"] = "版は50文字、備考は500文字以内で入力してください。"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		// One upsert: a delete and an insert of two saves at once
		// (PostgreSQL) broke the primary key with an SQL error.
		if _, err := s.db.Exec(ctx, `INSERT INTO program_deliverables (fiscal_year, module_key, doc_key, status, version, delivered_on, note, updated_by_name, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fiscal_year, module_key, doc_key) DO UPDATE SET status = excluded.status, version = excluded.version,
			delivered_on = excluded.delivered_on, note = excluded.note, updated_by_name = excluded.updated_by_name, updated_at = excluded.updated_at`, fy, moduleKey, key, status, strings.TrimSpace(version), jp.DateKey(d), strings.TrimSpace(note), by, database.T(s.now())); err != nil {
			return err
		}
		return s.log.Record(ctx, "program.deliverable", fmt.Sprintf("program_year:%d", fy), fmt.Sprintf("成果物（%s/%s）を%sに", moduleKey, key, delivLabels[status]))
	})
}

func (m *Module) deliverableRoutes(rt *web.Router) {
	read, manage := readers.Rule(), Managers.Rule()
	rt.Handle("GET /program/deliverables", read, m.deliverables)
	rt.Handle("POST /program/deliverables", manage, m.deliverableSet)
	rt.Handle("GET /program/deliverables/file", read, m.deliverableFile)
	rt.Handle("POST /program/deliverables/bind", manage, m.bind)
	binder := web.AnyObject("program.binder", func(ctx context.Context, id int64) error {
		_, err := m.store.BinderByID(ctx, id)
		return err
	})
	shred := web.AnyObject("program.shred", func(ctx context.Context, id int64) error {
		_, err := m.store.ShredByID(ctx, id)
		return err
	})
	rt.Handle("GET /program/binders/{id}", read.On(binder), m.binderFile)
	rt.Handle("GET /program/shreds/{id}/certificate", read.On(shred), m.certificate)
}

type delivView struct {
	FiscalYear int
	Years      []int
	Rows       []DelivRow
	Binders    []Binder
	Shreds     []ShredRecord
	Manage     bool
	States     []struct{ Code, Label string }
	Errors     FieldErrors
}

func (m *Module) deliverables(w http.ResponseWriter, r *http.Request) error {
	return m.renderDeliverables(w, r, m.yearOf(r), nil, http.StatusOK)
}

func (m *Module) renderDeliverables(w http.ResponseWriter, r *http.Request, fy int, fe FieldErrors, status int) error {
	rows, err := m.store.Register(r.Context(), fy, m.d.YearDeliverables)
	if err != nil {
		return err
	}
	bs, err := m.store.Binders(r.Context(), fy)
	if err != nil {
		return err
	}
	sh, err := m.store.Shreds(r.Context(), fy)
	if err != nil {
		return err
	}
	v := delivView{FiscalYear: fy, Years: []int{fy + 1, fy, fy - 1}, Rows: rows, Binders: bs, Shreds: sh, Manage: Managers.HasUser(web.UserFrom(r.Context())), States: DelivStates, Errors: fe}
	return web.Render(w, r, status, "program/program_deliverables", jp.FiscalYearLabel(fy)+"の成果物", v)
}

func (m *Module) deliverableSet(w http.ResponseWriter, r *http.Request) error {
	fy := postYear(m, r)
	mk, key := r.PostFormValue("module"), r.PostFormValue("key")
	rows, err := m.store.Register(r.Context(), fy, m.d.YearDeliverables)
	if err != nil {
		return err
	}
	found := false
	for _, d := range rows {
		found = found || d.Status != DelivNone && d.ModuleKey == mk && d.Key == key
	}
	if !found {
		return web.NotFound()
	}
	err = m.store.SetDelivState(r.Context(), fy, mk, key, r.PostFormValue("status"), r.PostFormValue("version"), r.PostFormValue("delivered_on"), r.PostFormValue("note"), userName(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderDeliverables(w, r, fy, fe, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/program/deliverables?year=%d", fy), "成果物の状況を記録しました。", true)
}

// deliverableFile builds one deliverable in one of its formats.
func (m *Module) deliverableFile(w http.ResponseWriter, r *http.Request) error {
	fy := m.yearOf(r)
	q := r.URL.Query()
	if m.d.YearDeliverables == nil {
		return web.NotFound()
	}
	ds, err := m.d.YearDeliverables(r.Context(), fy)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if d.ModuleKey != q.Get("module") || d.Key != q.Get("key") {
			continue
		}
		f, err := formats.Parse(q.Get("format"), d.Formats...)
		if err != nil {
			return web.Invalid("%s", "出力形式は "+strings.Join(d.Formats, "・")+" のいずれかを指定してください。")
		}
		doc, err := d.Build(r.Context())
		if err != nil {
			return err
		}
		if d.Title != "" {
			doc.Meta.Title = d.Title
		}
		dl := web.Download{Name: web.JoinFileName(f.Name, d.Title), ContentType: f.ContentType, Target: fmt.Sprintf("program_year:%d", fy),
			Detail: fmt.Sprintf("成果物「%s」（%s、成果物の管理から）", d.Title, f.Label)}
		return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
	}
	return web.NotFound()
}
