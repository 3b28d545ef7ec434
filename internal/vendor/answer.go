package vendor

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"mamori/internal/web"
)

// The vendor's page, opened from an expiring link without an account: the
// questionnaire with the answers so far, the office's requests on items
// marked 要修正 (never its internal notes or reviews of other items),
// evidence per item, save and submit. Requests through links are
// rate-limited by address.

func (m *Module) answerRoutes(rt *web.Router) {
	rt.Handle("GET /vendor-answer/{token}", web.PublicRule(), m.answerPage)
	rt.Handle("POST /vendor-answer/{token}", web.PublicRule(), m.answerPost)
	rt.Handle("POST /vendor-answer/{token}/evidence", web.PublicRule().WithUpload(), m.answerEvidence)
}

// limiter allows n requests per window per key.
type limiter struct {
	mu     sync.Mutex
	n      int
	window time.Duration
	seen   map[string][]time.Time
}

func newLimiter(n int, seconds int) *limiter {
	return &limiter{n: n, window: time.Duration(seconds) * time.Second, seen: map[string][]time.Time{}}
}

// allow reports whether key may make one more request now.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) > 10000 { // forget everyone rather than grow without bound
		l.seen = map[string][]time.Time{}
	}
	ts := l.seen[key]
	k := 0
	for _, t := range ts {
		if now.Sub(t) < l.window {
			ts[k] = t
			k++
		}
	}
	ts = ts[:k]
	if len(ts) >= l.n {
		l.seen[key] = ts
		return false
	}
	l.seen[key] = append(ts, now)
	return true
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// byToken is the request of the link in the path, after the rate limit.
func (m *Module) byToken(r *http.Request) (Request, error) {
	addr := clientAddr(r)
	if !m.limit.allow(addr, m.store.now()) {
		return Request{}, &web.Error{Status: http.StatusTooManyRequests, Msg: "短い時間に多くのアクセスがありました。1分ほど待ってから、もう一度開いてください。"}
	}
	x, err := m.store.ByToken(r.Context(), r.PathValue("token"), addr)
	if errors.Is(err, ErrLink) {
		return x, &web.Error{Status: http.StatusNotFound, Msg: ErrLink.Error()}
	}
	return x, err
}

type answerView struct {
	R        Request
	Items    []Item
	Evidence map[string][]Evidence
	Token    string
	Errors   FieldErrors
	Typed    map[string]AnswerInput
	Answers  []string
	Missing  int
	Done     bool
}

// Value is what the item's answer field shows: as typed when the form was
// refused, else as stored.
func (v answerView) Value(i Item) AnswerInput {
	if a, ok := v.Typed[i.Code]; ok {
		return a
	}
	return AnswerInput{Answer: i.Answer, Note: i.Note}
}

func (m *Module) answerView(r *http.Request, x Request) (answerView, error) {
	v := answerView{R: x, Token: r.PathValue("token"), Answers: Answers, Done: !x.State.Open()}
	items, err := m.store.Items(r.Context(), x.ID)
	if err != nil {
		return v, err
	}
	for k := range items {
		// The vendor sees only what was asked of them: the request on an
		// item to correct, never the office's reviews or internal notes.
		if items[k].Review != "fix" {
			items[k].ToVendor = ""
		}
		items[k].Review, items[k].InternalNote = map[bool]string{true: "fix"}[items[k].Review == "fix"], ""
		if items[k].Answer == "" {
			v.Missing++
		}
	}
	v.Items = items
	if v.Evidence, err = m.store.EvidenceOf(r.Context(), x.ID); err != nil {
		return v, err
	}
	return v, nil
}

func (m *Module) answerPage(w http.ResponseWriter, r *http.Request) error {
	x, err := m.byToken(r)
	if err != nil {
		return err
	}
	v, err := m.answerView(r, x)
	if err != nil {
		return err
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	return web.Render(w, r, http.StatusOK, "vendor/vendor_answer", "情報セキュリティに関する確認事項への回答", v)
}

func (m *Module) answerPost(w http.ResponseWriter, r *http.Request) error {
	x, err := m.byToken(r)
	if err != nil {
		return err
	}
	in := map[string]AnswerInput{}
	// An item's answer (a_CODE, a radio: absent until chosen) and its note
	// (n_CODE) arrive separately; either alone is kept.
	for k := range r.PostForm {
		code, ok := strings.CutPrefix(k, "a_")
		if !ok {
			code, ok = strings.CutPrefix(k, "n_")
		}
		if ok {
			in[code] = AnswerInput{Answer: r.PostFormValue("a_" + code), Note: r.PostFormValue("n_" + code)}
		}
	}
	ctx := r.Context()
	_, err = m.store.SaveAnswers(ctx, x, in, "回答用リンク")
	if err == nil && r.PostFormValue("action") == "submit" {
		err = m.store.Submit(ctx, x, "回答用リンク")
	}
	var fe FieldErrors
	switch {
	case errors.As(err, &fe), errors.Is(err, ErrLocked):
		v, err2 := m.answerView(r, x)
		if err2 != nil {
			return err2
		}
		if !errors.As(err, &fe) {
			fe = FieldErrors{"state": err.Error()}
		}
		v.Errors, v.Typed = fe, in
		return web.Render(w, r, http.StatusUnprocessableEntity, "vendor/vendor_answer", "情報セキュリティに関する確認事項への回答", v)
	case err != nil:
		return err
	}
	msg := "回答を保存しました。すべて回答したら「提出する」を押してください。"
	if r.PostFormValue("action") == "submit" {
		msg = "回答を提出しました。区の担当者が確認し、必要があれば連絡します。"
	}
	return web.Redirect(w, r, "/vendor-answer/"+r.PathValue("token"), msg, true)
}

// evidenceUpload is what a vendor may attach: documents and images up to 10 MB.
var evidenceUpload = web.Upload{Field: "file", MaxBytes: 10 << 20, Types: []web.FileType{web.PDF, web.PNG, web.JPEG, web.XLSX, web.DOCX}}

func (m *Module) answerEvidence(w http.ResponseWriter, r *http.Request) error {
	x, err := m.byToken(r)
	if err != nil {
		return err
	}
	f, err := evidenceUpload.Read(r)
	if err != nil {
		// A refused file (too large, of a type not accepted) is logged.
		_ = m.d.Log.Record(r.Context(), "vendor.evidence_refused", fmt.Sprintf("vendor_request:%d", x.ID), fmt.Sprintf("%s の資料の添付を拒否：%v", x.Code, err))
		return err
	}
	item := r.PostFormValue("item")
	err = m.store.AddEvidence(r.Context(), x, item, f.Name, f.ContentType, f.Data, r.PostFormValue("effective"))
	var fe FieldErrors
	switch {
	case errors.As(err, &fe), errors.Is(err, ErrLocked):
		v, err2 := m.answerView(r, x)
		if err2 != nil {
			return err2
		}
		if !errors.As(err, &fe) {
			fe = FieldErrors{"state": err.Error()}
		}
		v.Errors = fe
		return web.Render(w, r, http.StatusUnprocessableEntity, "vendor/vendor_answer", "情報セキュリティに関する確認事項への回答", v)
	case err != nil:
		return err
	}
	return web.Redirect(w, r, "/vendor-answer/"+r.PathValue("token")+"#item-"+item, "資料を受け付けました（"+f.Name+"）。", true)
}
