package audit

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/web"
)

// The fieldwork screens (実地監査), made for a tablet during the visit: the
// checklist with filters, progress and bulk actions; one item per screen
// with the judgement form, which saves as it is typed; photo and file
// evidence; the quality checks before 報告. The auditee never reaches
// them (404), whatever the phase.

//go:embed static/fieldwork.js static/fieldwork.css
var fieldworkAssets embed.FS

// fieldworkAsset is a script or style sheet of the fieldwork pages,
// served by the module under a URL that changes with its content.
type fieldworkAsset struct {
	body        []byte
	hash        string
	contentType string
}

var fwJS, fwCSS = loadFieldworkAsset("static/fieldwork.js", "text/javascript; charset=utf-8"),
	loadFieldworkAsset("static/fieldwork.css", "text/css; charset=utf-8")

func loadFieldworkAsset(name, ct string) fieldworkAsset {
	b, err := fieldworkAssets.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	sum := sha256.Sum256(b)
	return fieldworkAsset{body: b, hash: hex.EncodeToString(sum[:6]), contentType: ct}
}

// fieldworkHead is what the fieldwork pages load in their "head" block.
type fieldworkHead struct{ JS, CSS string }

var fwHead = fieldworkHead{JS: "/audit/fieldwork.js?v=" + fwJS.hash, CSS: "/audit/fieldwork.css?v=" + fwCSS.hash}

func (a fieldworkAsset) serve(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", a.contentType)
	if r.URL.Query().Get("v") == a.hash {
		w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	_, err := w.Write(a.body)
	return err
}

// fieldworkRoutes registers the fieldwork screens. The rule admits every
// role with pages on an engagement; the handlers need Access.Audit.
func (m *Module) fieldworkRoutes(rt *web.Router) {
	eng := Engaged.Rule().On(m.engagementObject())
	item := eng.On(m.childObject("audit.item", "item", "audit_items"))
	rt.Handle("GET /audit/fieldwork.js", Auditing.Rule(), func(w http.ResponseWriter, r *http.Request) error { return fwJS.serve(w, r) })
	rt.Handle("GET /audit/fieldwork.css", Auditing.Rule(), func(w http.ResponseWriter, r *http.Request) error { return fwCSS.serve(w, r) })
	rt.Handle("GET /audit/{id}/fieldwork", eng, m.fieldworkList)
	rt.Handle("POST /audit/{id}/fieldwork/na", eng, m.fieldworkNA)
	rt.Handle("POST /audit/{id}/fieldwork/prev", eng, m.fieldworkPrev)
	rt.Handle("GET /audit/{id}/items/{item}", item, m.itemShow)
	rt.Handle("POST /audit/{id}/items/{item}", item, m.itemSave)
	rt.Handle("POST /audit/{id}/items/{item}/evidence", item.WithUpload(), m.itemEvidence)
	rt.Handle("GET /audit/{id}/quality", eng, m.qualityPage)
	m.interviewRoutes(rt, eng)
}

// loadAudit is load for the fieldwork screens: the team (or a manager)
// only; everyone else is told the page does not exist.
func (m *Module) loadAudit(r *http.Request) (Engagement, Access, error) {
	e, a, err := m.load(r)
	if err != nil {
		return e, a, err
	}
	if !a.Audit {
		return e, a, web.NotFound()
	}
	return e, a, nil
}

// fieldworkFilters are the checklist's filters.
func fieldworkFilters() []web.ListFilter {
	var st []web.ListOption
	for _, s := range ItemStatuses {
		st = append(st, web.ListOption{Value: s.Code, Label: s.Label})
	}
	return []web.ListFilter{
		{Key: "unjudged", Label: "未判定", Kind: web.FilterCheck},
		{Key: "recheck", Label: "要再確認", Kind: web.FilterCheck},
		{Key: "changed", Label: "前年から変化", Kind: web.FilterCheck},
		{Key: "focus", Label: "重点確認", Kind: web.FilterCheck},
		{Key: "unanswered", Label: "事前調査が未回答", Kind: web.FilterCheck},
		{Key: "category", Label: "分類"},
		{Key: "status", Label: "状況", Options: st},
	}
}

// fieldworkSpec is the checklist of fieldwork; each engagement's copy has
// its own path. One page holds a whole checklist.
var fieldworkSpec = web.ListSpec{
	Filters: fieldworkFilters(),
	Search:  "項目番号・設問", SearchHint: "項目番号、設問、分類、所見メモから探します",
	Sizes: []int{500, 100}, Noun: "項目", Label: "チェックリストの絞り込み",
	Empty: "この監査のチェックリストに項目がありません。",
}

// fieldworkListOf parses the checklist filters of an engagement (its
// categories are the choices of the category filter).
func fieldworkListOf(e Engagement, q url.Values, items []Item) *web.List {
	spec := fieldworkSpec
	spec.Path = fmt.Sprintf("/audit/%d/fieldwork", e.ID)
	l := spec.ParseValues(q)
	var cats []web.ListOption
	for _, c := range Categories(items) {
		cats = append(cats, web.ListOption{Value: c, Label: c})
	}
	l.SetOptions("category", cats)
	return l
}

// changedFromPrev: judged this year, and not as last year.
func changedFromPrev(it Item) bool { return it.Changed() && it.Judgement != "" }

// itemMatches applies the checklist filters (l's valid values) to an item.
func itemMatches(l *web.List, words []string, it Item) bool {
	switch {
	case l.Value("unjudged") != "" && it.Judgement != "":
		return false
	case l.Value("recheck") != "" && !it.Recheck:
		return false
	case l.Value("changed") != "" && !changedFromPrev(it):
		return false
	case l.Value("focus") != "" && !it.Focus:
		return false
	case l.Value("unanswered") != "" && !(it.Presurvey && it.AnswerChoice == ""):
		return false
	case l.Value("category") != "" && it.Category != l.Value("category"):
		return false
	case l.Value("status") != "" && it.Status != l.Value("status"):
		return false
	}
	if len(words) > 0 && !jp.MatchWords(jp.SearchText(it.Code, it.Question, it.Category, it.Notes), words) {
		return false
	}
	return true
}

// fwRow is one item of the checklist page.
type fwRow struct {
	It      Item
	Link    string
	Answer  string // the pre-survey answer, short
	Prev    string // last year's judgement, mark and label
	Changed bool
}

// fwSection is one category of the checklist page.
type fwSection struct {
	N        int // anchor number
	Category string
	Rows     []fwRow
	Items    int // items of the category (whatever the filter)
	Unjudged int
	Assessed int
}

// fwCount is one judgement's count for the progress summary.
type fwCount struct {
	Code, Label, Mark string
	N                 int
}

type fieldworkView struct {
	V        engagementView
	Head     fieldworkHead
	L        *web.List
	Sections []fwSection
	Shown    int
	Items    int
	Assessed int
	Percent  int
	Counts   []fwCount
	HasPrev  bool
	Closed   bool
	// Bulk actions' errors, re-shown beside their forms with what was typed.
	NACategory, NAReason, NAError string
	PrevError                     string
	Back                          string // the filters, carried by the bulk forms
	User                          int64
}

// fieldworkList is the checklist of fieldwork: progress, filters, every
// item with its judgement, status, answer, evidence and marks.
func (m *Module) fieldworkList(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.loadAudit(r)
	if err != nil {
		return err
	}
	v, err := m.fieldworkView(r, e, a, r.URL.Query())
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "audit/fieldwork_list", "実地監査", v)
}

func (m *Module) fieldworkView(r *http.Request, e Engagement, a Access, q url.Values) (*fieldworkView, error) {
	ctx := r.Context()
	items, err := m.store.Items(ctx, e.ID, ItemFilter{})
	if err != nil {
		return nil, err
	}
	closed, err := m.store.FieldworkClosed(ctx, e)
	if err != nil {
		return nil, err
	}
	l := fieldworkListOf(e, q, items)
	v := &fieldworkView{V: engagementView{E: e, A: a, Tab: "fieldwork"}, Head: fwHead, L: l, Items: len(items), Closed: closed,
		User: web.UserFrom(ctx).ID, Back: queryOf(l)}
	counts := map[string]int{}
	words := l.Words()
	idx := map[string]int{}
	for _, it := range items {
		counts[it.Judgement]++
		if it.Assessed() {
			v.Assessed++
		}
		if it.PrevJudgement != "" {
			v.HasPrev = true
		}
		i, ok := idx[it.Category]
		if !ok {
			i = len(v.Sections)
			idx[it.Category] = i
			v.Sections = append(v.Sections, fwSection{N: i + 1, Category: it.Category})
		}
		sec := &v.Sections[i]
		sec.Items++
		if it.Judgement == "" {
			sec.Unjudged++
		}
		if it.Assessed() {
			sec.Assessed++
		}
		if !itemMatches(l, words, it) {
			continue
		}
		row := fwRow{It: it, Link: l.At(fmt.Sprintf("/audit/%d/items/%d", e.ID, it.ID)), Changed: changedFromPrev(it)}
		if it.PrevJudgement != "" {
			row.Prev = strings.TrimSpace(JudgementMark(it.PrevJudgement) + " " + JudgementLabel(it.PrevJudgement))
		}
		if it.AnswerChoice != "" {
			row.Answer = AnswerChoiceLabel(it.AnswerChoice)
			if it.Answer != "" {
				row.Answer += "：" + jp.TruncateWidth(strings.Join(strings.Fields(it.Answer), " "), 40)
			}
		} else if it.Presurvey {
			row.Answer = "未回答"
		}
		sec.Rows = append(sec.Rows, row)
		v.Shown++
	}
	v.Sections = slices.DeleteFunc(v.Sections, func(s fwSection) bool { return len(s.Rows) == 0 })
	l.SetTotal(v.Shown)
	if v.Items > 0 {
		v.Percent = v.Assessed * 100 / v.Items
	}
	for _, j := range Judgements {
		v.Counts = append(v.Counts, fwCount{Code: j.Code, Label: j.Label, Mark: j.Mark, N: counts[j.Code]})
	}
	v.Counts = append(v.Counts, fwCount{Label: "未判定", N: counts[""]})
	return v, nil
}

// fieldworkNA judges a category's unjudged items 該当なし, with a reason.
func (m *Module) fieldworkNA(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.loadAudit(r)
	if err != nil {
		return err
	}
	cat, reason := r.PostFormValue("category"), r.PostFormValue("reason")
	n, err := m.store.MarkNotApplicable(r.Context(), e.ID, cat, reason, actor(r))
	if err == nil {
		return web.Redirect(w, r, m.backToList(r, e), fmt.Sprintf("分類「%s」の未判定 %d 項目を「該当なし」にしました。", cat, n), true)
	}
	status, msg, ok := fieldworkFailure(err)
	if !ok {
		return err
	}
	v, verr := m.fieldworkView(r, e, a, backQuery(r))
	if verr != nil {
		return verr
	}
	v.NACategory, v.NAReason, v.NAError = cat, reason, msg
	return web.Render(w, r, status, "audit/fieldwork_list", "実地監査", v)
}

// fieldworkPrev is 「前年どおり確認済」 on the chosen items (values
// "id:rev", the rev each row showed).
func (m *Module) fieldworkPrev(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.loadAudit(r)
	if err != nil {
		return err
	}
	var chosen []ItemRev
	for _, s := range r.PostForm["item"] {
		id, rev, ok := strings.Cut(s, ":")
		i, err1 := strconv.ParseInt(id, 10, 64)
		v, err2 := strconv.ParseInt(rev, 10, 64)
		if !ok || err1 != nil || err2 != nil || i <= 0 {
			return web.Invalid("選んだ項目の指定が正しくありません。画面を読み込み直してから選び直してください。")
		}
		chosen = append(chosen, ItemRev{ID: i, Rev: v})
	}
	res, err := m.store.ConfirmPrevious(r.Context(), e.ID, chosen, actor(r))
	if err == nil {
		msg := fmt.Sprintf("%d 項目を「前年どおり確認済」にしました（判定・所見メモを前年から引き継ぎ、状況を完了にしました）。", res.Confirmed)
		if res.KeptNotes > 0 {
			msg += fmt.Sprintf("うち %d 項目は、今年記入済みの所見メモをそのまま残しています。", res.KeptNotes)
		}
		return web.Redirect(w, r, m.backToList(r, e), msg, true)
	}
	status, msg, ok := fieldworkFailure(err)
	if !ok {
		return err
	}
	if errors.Is(err, ErrConflict) {
		msg = err.Error()
	}
	v, verr := m.fieldworkView(r, e, a, backQuery(r))
	if verr != nil {
		return verr
	}
	v.PrevError = msg
	return web.Render(w, r, status, "audit/fieldwork_list", "実地監査", v)
}

// queryOf is the list's canonical query (its filters), without the path.
func queryOf(l *web.List) string {
	_, q, _ := strings.Cut(l.Link(), "?")
	return q
}

// backQuery is the checklist filters a bulk form carried along ("back").
func backQuery(r *http.Request) url.Values {
	q, err := url.ParseQuery(r.PostFormValue("back"))
	if err != nil {
		return url.Values{}
	}
	return q
}

// backToList is the checklist with the filters the form came from.
func (m *Module) backToList(r *http.Request, e Engagement) string {
	p := fmt.Sprintf("/audit/%d/fieldwork", e.ID)
	if q := backQuery(r).Encode(); q != "" {
		p += "?" + q
	}
	return p
}

// fieldworkFailure maps the store's refusals to a status and a message
// for the user; ok is false for an error that is no refusal.
func fieldworkFailure(err error) (int, string, bool) {
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		return http.StatusBadRequest, fe.Error(), true
	case errors.Is(err, ErrConflict):
		return http.StatusConflict, ErrConflict.Error(), true
	case errors.Is(err, ErrFieldworkClosed):
		return http.StatusConflict, ErrFieldworkClosed.Error(), true
	case errors.Is(err, ErrKeyDestroyed):
		return http.StatusConflict, ErrKeyDestroyed.Error(), true
	}
	return 0, "", false
}

// fwChoice is one radio button or check box of the item form.
type fwChoice struct {
	Code, Label, Mark string
	Key               string // keyboard key
	Checked           bool
}

// itemForm is the item form's values: as stored, or as the user typed
// them when a save was refused.
type itemForm struct {
	U   ItemUpdate
	Rev int64
}

// conflictField is one field of a conflict: the other person's saved
// value beside the one this user typed.
type conflictField struct {
	Label, Theirs, Mine string
	Long, Differs       bool
}

// conflictView is a refused save of a changed row: who saved in between,
// when, and both versions, so that the user can merge them.
type conflictView struct {
	Message string
	By, At  string
	Rev     int64
	Fields  []conflictField
}

type itemView struct {
	V          engagementView
	Head       fieldworkHead
	It         Item
	Form       itemForm
	Errors     FieldErrors
	Message    string // a refusal shown at the top (closed, invalid)
	Conflict   *conflictView
	Closed     bool // fieldwork is over
	ReadOnly   bool // closed, or the item was dropped from the checklist
	Judgements []fwChoice
	Statuses   []fwChoice
	Techniques []fwChoice
	Planned    []string
	Docs       []ItemDocs
	Files      []fileRef // photos and files of the item
	Answer     string    // the pre-survey answer choice, in Japanese
	PrevMark   string    // last year's judgement
	PrevLabel  string
	Interviews []Interview
	Prev, Next string // links
	Pos, Count int
	Filtered   bool
	List       string // the checklist with the same filters
	Query      string // the filters, for the form's return
	Accept     string
	Types      string
	MaxMB      int
	FileError  string
	User       int64
	SaveURL    string
	Self       string // this screen with the checklist's filters
	NewIv      string // a new interview about the item
}

// fileRef is an evidence file as lists show it.
type fileRef struct {
	Evidence
	SizeText string
}

func fileRefOf(e Evidence) fileRef { return fileRef{Evidence: e, SizeText: sizeText(e.Size)} }

// sizeText is a file size for people: 820 バイト, 14 KB, 2.3 MB.
func sizeText(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d バイト", n)
	case n < 1024*1024:
		return fmt.Sprintf("%d KB", (n+1023)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
}

// judgementKeys are the keys that pick a judgement on the item screen.
var judgementKeys = []string{"1", "2", "3", "4", "5"}

func (m *Module) itemView(r *http.Request, e Engagement, a Access, it Item, f itemForm) (*itemView, error) {
	ctx := r.Context()
	closed, err := m.store.FieldworkClosed(ctx, e)
	if err != nil {
		return nil, err
	}
	v := &itemView{V: engagementView{E: e, A: a, Tab: "fieldwork"}, Head: fwHead, It: it, Form: f, Closed: closed, ReadOnly: closed,
		Planned: TechniqueLabels(it.Techniques), MaxMB: MaxEvidence >> 20, User: web.UserFrom(ctx).ID,
		SaveURL: fmt.Sprintf("/audit/%d/items/%d", e.ID, it.ID)}
	for i, j := range Judgements {
		v.Judgements = append(v.Judgements, fwChoice{Code: j.Code, Label: j.Label, Mark: j.Mark, Key: judgementKeys[i], Checked: f.U.Judgement == j.Code})
	}
	for _, s := range ItemStatuses {
		v.Statuses = append(v.Statuses, fwChoice{Code: s.Code, Label: s.Label, Checked: f.U.Status == s.Code})
	}
	for _, t := range catalog.TechniqueOrder {
		v.Techniques = append(v.Techniques, fwChoice{Code: t, Label: catalog.Techniques[t], Checked: slices.Contains(f.U.Technique, t)})
	}
	var exts, labels []string
	for _, t := range EvidenceTypes {
		exts = append(exts, t.Exts...)
		labels = append(labels, t.Label)
	}
	v.Accept, v.Types = strings.Join(exts, ","), strings.Join(labels, "、")
	evidence, err := m.store.EvidenceList(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	for _, ev := range evidence {
		if ev.ItemID == it.ID {
			v.Files = append(v.Files, fileRefOf(ev))
		}
	}
	if it.AnswerChoice != "" {
		v.Answer = AnswerChoiceLabel(it.AnswerChoice)
	}
	v.PrevMark, v.PrevLabel = JudgementMark(it.PrevJudgement), JudgementLabel(it.PrevJudgement)
	if v.Docs, err = m.store.itemDocs(ctx, e.ID, it.Code, evidence); err != nil {
		return nil, err
	}
	ivs, err := m.store.Interviews(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	for _, iv := range ivs {
		if iv.Names(it.Code) {
			v.Interviews = append(v.Interviews, iv)
		}
	}
	// Previous and next item among those the checklist's filters keep.
	items, err := m.store.Items(ctx, e.ID, ItemFilter{})
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		q, _ = url.ParseQuery(r.PostFormValue("back"))
	}
	l := fieldworkListOf(e, q, items)
	words := l.Words()
	v.Filtered = l.Filtered()
	v.List = l.Link()
	v.Query = queryOf(l)
	v.Self = l.At(v.SaveURL)
	v.NewIv = fmt.Sprintf("/audit/%d/interviews?item=%s#new", e.ID, url.QueryEscape(it.Code))
	var kept []Item
	cur := -1 // the item's place among the kept ones (-1: dropped)
	for _, x := range items {
		if x.ID == it.ID {
			cur = len(kept)
		} else if !itemMatches(l, words, x) {
			continue
		}
		kept = append(kept, x)
	}
	link := func(x Item) string { return l.At(fmt.Sprintf("/audit/%d/items/%d", e.ID, x.ID)) }
	v.Count = len(kept)
	switch {
	case cur < 0:
		// A dropped item is no longer in the checklist: read only.
		v.ReadOnly = true
		v.Message = fmt.Sprintf("この項目はチェックリストから除外されています（理由：%s）。判定は記録できません。", orNone(it.DroppedReason))
		if len(kept) > 0 {
			v.Next = link(kept[0])
		}
	default:
		v.Pos = cur + 1
		if cur > 0 {
			v.Prev = link(kept[cur-1])
		}
		if cur+1 < len(kept) {
			v.Next = link(kept[cur+1])
		}
	}
	return v, nil
}

// loadItem reads the item of the path ({item}), which must belong to the
// engagement of the path ({id}).
func (m *Module) loadItem(r *http.Request, e Engagement) (Item, error) {
	id, err := web.PathID(r, "item")
	if err != nil {
		return Item{}, err
	}
	it, err := m.store.Item(r.Context(), e.ID, id)
	if errors.Is(err, database.ErrNotFound) {
		return it, web.NotFound()
	}
	return it, err
}

func itemTitle(it Item) string { return "実地監査 " + it.Code }

// itemShow is one item per screen: what to check and against what, the
// auditee's answer and documents, last year's result, the form and the
// evidence.
func (m *Module) itemShow(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.loadAudit(r)
	if err != nil {
		return err
	}
	it, err := m.loadItem(r, e)
	if err != nil {
		return err
	}
	v, err := m.itemView(r, e, a, it, itemForm{U: UpdateOf(it), Rev: it.Rev})
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "audit/fieldwork_item", itemTitle(it), v)
}

// itemUpdateOf reads the item form.
func itemUpdateOf(r *http.Request) (ItemUpdate, int64, error) {
	rev, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("rev")), 10, 64)
	if err != nil || rev < 0 {
		return ItemUpdate{}, 0, web.Invalid("画面の版が読み取れません。画面を読み込み直してから入力してください。")
	}
	return ItemUpdate{Judgement: r.PostFormValue("judgement"), Status: r.PostFormValue("status"), Technique: r.PostForm["technique"],
		Notes: r.PostFormValue("notes"), Focus: r.PostFormValue("focus") != "", Recheck: r.PostFormValue("recheck") != ""}, rev, nil
}

// wantsJSON: the page's script saves with fetch and reads JSON; a plain
// form submit gets pages.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// saveReply is the answer to a save sent by the page's script.
type saveReply struct {
	OK       bool              `json:"ok"`
	Rev      int64             `json:"rev,omitempty"`
	Message  string            `json:"message"`
	SavedAt  string            `json:"saved_at,omitempty"`
	Errors   map[string]string `json:"errors,omitempty"`
	Conflict *conflictReply    `json:"conflict,omitempty"`
	Closed   bool              `json:"closed,omitempty"`
}

// conflictReply is a conflict for the script: the stored values by form
// field (to load them into the form) and both versions by label.
type conflictReply struct {
	Rev    int64               `json:"rev"`
	By     string              `json:"by"`
	At     string              `json:"at"`
	Values map[string][]string `json:"values"`
	Fields []conflictField     `json:"fields"`
}

func (f conflictField) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"label": f.Label, "theirs": f.Theirs, "mine": f.Mine, "long": f.Long, "differs": f.Differs})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// itemValues is an item's fieldwork as form values (for the script to put
// the other person's version into the form).
func itemValues(u ItemUpdate) map[string][]string {
	v := map[string][]string{"judgement": {u.Judgement}, "status": {u.Status}, "technique": append([]string{}, u.Technique...),
		"notes": {u.Notes}, "focus": {}, "recheck": {}}
	if u.Focus {
		v["focus"] = []string{"1"}
	}
	if u.Recheck {
		v["recheck"] = []string{"1"}
	}
	return v
}

// itemConflict describes the stored item beside what the user sent.
func itemConflict(cur Item, mine ItemUpdate) *conflictView {
	theirs := UpdateOf(cur)
	c := &conflictView{Message: ErrConflict.Error(), By: whoOr(cur.UpdatedBy), Rev: cur.Rev}
	if !cur.UpdatedAt.IsZero() {
		c.At = jp.FormatWarekiDateTime(cur.UpdatedAt)
	}
	add := func(label, a, b string, long bool) {
		c.Fields = append(c.Fields, conflictField{Label: label, Theirs: a, Mine: b, Long: long, Differs: a != b})
	}
	add("判定", JudgementLabel(theirs.Judgement), JudgementLabel(mine.Judgement), false)
	add("状況", ItemStatusLabel(theirs.Status), ItemStatusLabel(mine.Status), false)
	add("実施した技法", orNone(strings.Join(TechniqueLabels(theirs.Technique), "・")), orNone(strings.Join(TechniqueLabels(mine.Technique), "・")), false)
	add("重点確認", onOff(theirs.Focus), onOff(mine.Focus), false)
	add("要再確認", onOff(theirs.Recheck), onOff(mine.Recheck), false)
	add("所見メモ", theirs.Notes, mine.Notes, true)
	return c
}

// itemSave saves the item form: from the page's script (JSON answers,
// 409 with both versions on a conflict) or as a plain form (the page
// again, or the next item).
func (m *Module) itemSave(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.loadAudit(r)
	if err != nil {
		return err
	}
	it, err := m.loadItem(r, e)
	if err != nil {
		return err
	}
	u, rev, err := itemUpdateOf(r)
	if err != nil {
		return err
	}
	saved, err := m.store.SaveItem(r.Context(), e.ID, it.ID, rev, u, actor(r))
	js := wantsJSON(r)
	if err == nil {
		msg := "保存しました。"
		if js {
			return writeJSON(w, http.StatusOK, saveReply{OK: true, Rev: saved.Rev, Message: msg, SavedAt: savedAt(saved)})
		}
		to := fmt.Sprintf("/audit/%d/items/%d", e.ID, it.ID)
		if q := r.PostFormValue("back"); q != "" {
			to += "?" + q
		}
		if dest := r.PostFormValue("go"); dest != "" && web.LocalPath(dest) && strings.HasPrefix(dest, fmt.Sprintf("/audit/%d/", e.ID)) {
			to = dest
			msg = fmt.Sprintf("項目 %s を保存しました。", it.Code)
		}
		return web.Redirect(w, r, to, msg, true)
	}
	if errors.Is(err, database.ErrNotFound) {
		return web.NotFound()
	}
	status, msg, ok := fieldworkFailure(err)
	if !ok {
		return err
	}
	var fe FieldErrors
	errors.As(err, &fe)
	var conflict *conflictView
	if errors.Is(err, ErrConflict) {
		cur, cerr := m.store.Item(r.Context(), e.ID, it.ID)
		if cerr != nil {
			return cerr
		}
		it, conflict = cur, itemConflict(cur, u)
	}
	if js {
		reply := saveReply{Message: msg, Errors: fe, Closed: errors.Is(err, ErrFieldworkClosed)}
		if conflict != nil {
			reply.Conflict = &conflictReply{Rev: conflict.Rev, By: conflict.By, At: conflict.At, Values: itemValues(UpdateOf(it)), Fields: conflict.Fields}
		}
		return writeJSON(w, status, reply)
	}
	// The page again with what was typed; after a conflict the form
	// carries the stored rev, so that saving it again is a choice made
	// with both versions in view.
	f := itemForm{U: u, Rev: rev}
	if conflict != nil {
		f.Rev = conflict.Rev
	}
	v, verr := m.itemView(r, e, a, it, f)
	if verr != nil {
		return verr
	}
	v.Errors, v.Conflict = fe, conflict
	switch {
	case fe["item"] != "":
		v.Message = fe["item"]
	case fe != nil:
		v.Message = "入力内容を確認してください。保存していません。"
	case conflict == nil:
		v.Message = msg
	}
	return web.Render(w, r, status, "audit/fieldwork_item", itemTitle(it), v)
}

// whoOr names who saved a row ("他の利用者" when the row does not say).
func whoOr(name string) string {
	if name == "" {
		return "他の利用者"
	}
	return name
}

func savedAt(it Item) string {
	if it.UpdatedAt.IsZero() {
		return ""
	}
	return jp.FormatWarekiDateTime(it.UpdatedAt)
}

// photoTypes are what the camera button takes.
var photoTypes = []web.FileType{web.JPEG, web.PNG}

// itemEvidence keeps a photo taken on the spot or a file as evidence of
// the item (encrypted with the engagement's key).
func (m *Module) itemEvidence(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.loadAudit(r)
	if err != nil {
		return err
	}
	it, err := m.loadItem(r, e)
	if err != nil {
		return err
	}
	back := fmt.Sprintf("/audit/%d/items/%d", e.ID, it.ID)
	if q := r.FormValue("back"); q != "" {
		back += "?" + q
	}
	fail := func(status int, msg string) error {
		v, err := m.itemView(r, e, a, it, itemForm{U: UpdateOf(it), Rev: it.Rev})
		if err != nil {
			return err
		}
		v.FileError = msg
		return web.Render(w, r, status, "audit/fieldwork_item", itemTitle(it), v)
	}
	if closed, err := m.store.FieldworkClosed(r.Context(), e); err != nil {
		return err
	} else if closed {
		return fail(http.StatusConflict, ErrFieldworkClosed.Error())
	}
	if it.Dropped {
		return fail(http.StatusBadRequest, fmt.Sprintf("項目 %s はチェックリストから除外されているため、証跡を登録できません。", it.Code))
	}
	kind := r.FormValue("kind")
	up := web.Upload{MaxBytes: MaxEvidence, Types: EvidenceTypes, Fallback: "証跡"}
	switch kind {
	case EvidencePhoto:
		up.Types, up.Fallback = photoTypes, "写真"
	case EvidenceFile:
	default:
		return fail(http.StatusBadRequest, "証跡の種類（写真かファイル）を選んでください。")
	}
	f, err := up.Read(r)
	if err != nil {
		var we *web.Error
		if errors.As(err, &we) {
			return fail(we.Status, we.Msg)
		}
		return err
	}
	note := r.FormValue("note")
	if utf8.RuneCountInString(note) > 1000 {
		return fail(http.StatusBadRequest, "証跡の説明は1000文字以内で入力してください。")
	}
	_, err = m.store.AddEvidence(r.Context(), e.ID, EvidenceInput{ItemID: it.ID, Kind: kind, Filename: f.Name, ContentType: f.ContentType,
		Data: f.Data, Note: note}, actor(r))
	if err != nil {
		if status, msg, ok := fieldworkFailure(err); ok {
			return fail(status, msg)
		}
		return err
	}
	label := "ファイル"
	if kind == EvidencePhoto {
		label = "写真"
	}
	return web.Redirect(w, r, back+"#evidence", fmt.Sprintf("%s「%s」を項目 %s の証跡として登録しました。", label, f.Name, it.Code), true)
}

type qualityGroup struct {
	Code, Label, Advice string
	Issues              []QualityIssue
	// Inline groups list item codes in a line (there may be hundreds of
	// unjudged items during fieldwork), with the checklist filtered to
	// them when a filter exists.
	Inline bool
	Filter string
}

type qualityView struct {
	V      engagementView
	Head   fieldworkHead
	Groups []qualityGroup
	Total  int
	Closed bool
}

// qualityPage lists the quality checks before 報告, with links to the
// items.
func (m *Module) qualityPage(w http.ResponseWriter, r *http.Request) error {
	e, a, err := m.loadAudit(r)
	if err != nil {
		return err
	}
	issues, err := m.store.QualityChecks(r.Context(), e.ID)
	if err != nil {
		return err
	}
	closed, err := m.store.FieldworkClosed(r.Context(), e)
	if err != nil {
		return err
	}
	v := qualityView{V: engagementView{E: e, A: a, Tab: "fieldwork"}, Head: fwHead, Total: len(issues), Closed: closed}
	for _, k := range QualityKinds {
		g := qualityGroup{Code: k.Code, Label: k.Label, Advice: k.Advice}
		switch k.Code {
		case QualityUnjudged:
			g.Inline, g.Filter = true, fmt.Sprintf("/audit/%d/fieldwork?unjudged=1", e.ID)
		case QualityRecheck:
			g.Inline, g.Filter = true, fmt.Sprintf("/audit/%d/fieldwork?recheck=1", e.ID)
		case QualityUnverified:
			g.Inline = true
		}
		for _, q := range issues {
			if q.Kind == k.Code {
				g.Issues = append(g.Issues, q)
			}
		}
		v.Groups = append(v.Groups, g)
	}
	return web.Render(w, r, http.StatusOK, "audit/fieldwork_quality", "報告前の品質チェック", v)
}
