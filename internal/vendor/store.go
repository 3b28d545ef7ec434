package vendor

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/auditlog"
	"mamori/internal/blob"
	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/web"
)

// Store reads and writes the requests, their questionnaires, links,
// submissions, evidence, reviews and decisions.
type Store struct {
	db    *database.DB
	log   *auditlog.Log
	org   org.Reader
	cat   *catalog.Store
	blobs *blob.Store
	now   func() time.Time
}

// NewStore returns the store on the app's shared services.
func NewStore(d module.Deps) *Store {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	s := &Store{db: d.DB, log: d.Log, org: d.Org, blobs: d.Blobs, now: now}
	if d.DB != nil {
		s.cat = catalog.NewStore(d.DB)
	}
	return s
}

// FieldErrors are a form's problems by field (web.FieldErrors).
type FieldErrors = web.FieldErrors

// Errors a person can act on.
var (
	ErrLink   = errors.New("このリンクは無効か、有効期限が過ぎているか、取り消されています。区の担当者に新しいリンクを依頼してください。")
	ErrStale  = errors.New("ほかの人が先にこの審査を変更しました。画面を読み込み直してください。")
	ErrLocked = errors.New("この審査は回答を受け付けていません（審査中又は決定済みです）。")
)

func runes(s string) int { return utf8.RuneCountInString(s) }

func stamp(s string) time.Time { return database.ParseTime(s) }

func stampOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return database.FormatTime(t)
}

func tokenHash(tok string) string {
	h := sha256.Sum256([]byte("vendor-link:" + tok))
	return hex.EncodeToString(h[:])
}

// Kinds of request: which catalogue template the questionnaire comes from.
var Kinds = []struct{ Key, Label string }{{"cloud", "クラウドサービスの利用"}, {"outsourcing", "業務委託"}}

// KindLabel is a kind in Japanese.
func KindLabel(k string) string {
	for _, x := range Kinds {
		if x.Key == k {
			return x.Label
		}
	}
	return k
}

// DataClasses are the confidentiality classes a request names.
var DataClasses = []string{"機密性3", "機密性2", "機密性1"}

// State is where a request stands.
type State string

// The states.
const (
	StateRequested State = "requested" // the department asked; no questionnaire yet
	StateAnswering State = "answering" // the questionnaire is with the vendor
	StateReview    State = "review"    // the vendor submitted; the office reviews
	StateReturned  State = "returned"  // returned to the vendor for corrections (要修正)
	StateDecided   State = "decided"
)

var stateLabels = map[State]string{StateRequested: "依頼受付", StateAnswering: "回答待ち", StateReview: "審査中", StateReturned: "修正依頼中", StateDecided: "決定済み"}

// Label is the state in Japanese.
func (s State) Label() string { return stateLabels[s] }

// Open reports whether the vendor may answer.
func (s State) Open() bool { return s == StateAnswering || s == StateReturned }

// Decisions, apart from any score.
var Decisions = []struct{ Key, Label string }{{"approved", "承認"}, {"conditional", "条件付承認"}, {"declined", "不承認"}}

// DecisionLabel is a decision in Japanese.
func DecisionLabel(k string) string {
	for _, x := range Decisions {
		if x.Key == k {
			return x.Label
		}
	}
	return ""
}

// Request is one review request.
type Request struct {
	ID              int64
	Code            string
	FiscalYear      int
	DepartmentID    int64
	Department      string
	Kind            string
	ServiceName     string
	VendorName      string
	Purpose         string
	DataClass       string
	MyNumber        bool
	SystemWork      bool
	StorageLocation string
	Subcontractors  string
	ContractFrom    time.Time
	ContractTo      time.Time
	ISMAPNumber     string
	ISMAPExpires    time.Time
	SLA             string
	State           State
	TemplateID      int64
	TemplateVersion int
	Decision        string
	DecisionReason  string
	DecidedAt       time.Time
	DecidedBy       string
	NextReviewOn    time.Time
	Rev             int64
	CreatedBy       string
	CreatedAt       time.Time
}

// KindLabel is the request's kind in Japanese.
func (r Request) KindLabel() string { return KindLabel(r.Kind) }

// DecisionLabel is the decision in Japanese.
func (r Request) DecisionLabel() string { return DecisionLabel(r.Decision) }

// ISMAPWarning says whether the ISMAP registration lapses within 90 days
// (or has lapsed) as of now.
func (r Request) ISMAPWarning(now time.Time) string {
	if r.ISMAPExpires.IsZero() {
		return ""
	}
	switch days := int(r.ISMAPExpires.Sub(now).Hours() / 24); {
	case days < 0:
		return "ISMAP の登録の有効期限が過ぎています"
	case days <= 90:
		return fmt.Sprintf("ISMAP の登録の有効期限まであと %d 日です", days)
	}
	return ""
}

// ReviewDue reports whether the re-review is due (its date has come).
func (r Request) ReviewDue(now time.Time) bool {
	return r.State == StateDecided && !r.NextReviewOn.IsZero() && jp.DateKey(now) >= jp.DateKey(r.NextReviewOn)
}

const reqCols = `r.id, r.code, r.fiscal_year, r.department_id, COALESCE(d.name, ''), r.kind, r.service_name, r.vendor_name, r.purpose, r.data_class,
	r.mynumber, r.system_work, r.storage_location, r.subcontractors, r.contract_from, r.contract_to, r.ismap_number, r.ismap_expires, r.sla,
	r.state, COALESCE(r.template_id, 0), r.template_version, r.decision, r.decision_reason, r.decided_at, r.decided_by_name, r.next_review_on,
	r.rev, r.created_by_name, r.created_at`

const reqFrom = ` FROM vendor_requests r LEFT JOIN departments d ON d.id = r.department_id`

func scanRequest(sc interface{ Scan(...any) error }) (Request, error) {
	var r Request
	var from, to, ismap, state, decided, next, created string
	err := sc.Scan(&r.ID, &r.Code, &r.FiscalYear, &r.DepartmentID, &r.Department, &r.Kind, &r.ServiceName, &r.VendorName, &r.Purpose, &r.DataClass,
		&r.MyNumber, &r.SystemWork, &r.StorageLocation, &r.Subcontractors, &from, &to, &r.ISMAPNumber, &ismap, &r.SLA,
		&state, &r.TemplateID, &r.TemplateVersion, &r.Decision, &r.DecisionReason, &decided, &r.DecidedBy, &next,
		&r.Rev, &r.CreatedBy, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return r, database.ErrNotFound
	}
	r.State = State(state)
	r.ContractFrom, r.ContractTo, r.ISMAPExpires, r.NextReviewOn = jp.ParseDateKey(from), jp.ParseDateKey(to), jp.ParseDateKey(ismap), jp.ParseDateKey(next)
	r.DecidedAt, r.CreatedAt = stamp(decided), stamp(created)
	return r, err
}

// Requests are fiscal year fy's requests (0: every year), newest first.
func (s *Store) Requests(ctx context.Context, fy int) ([]Request, error) {
	q := "SELECT " + reqCols + reqFrom
	var args []any
	if fy != 0 {
		q += " WHERE r.fiscal_year = ?"
		args = append(args, fy)
	}
	rows, err := s.db.Query(ctx, q+" ORDER BY r.id DESC", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Get is one request.
func (s *Store) Get(ctx context.Context, id int64) (Request, error) {
	return scanRequest(s.db.QueryRow(ctx, "SELECT "+reqCols+reqFrom+" WHERE r.id = ?", id))
}

// ByCode is the request of code.
func (s *Store) ByCode(ctx context.Context, code string) (Request, error) {
	return scanRequest(s.db.QueryRow(ctx, "SELECT "+reqCols+reqFrom+" WHERE r.code = ?", code))
}

// RequestInput is the request form as typed.
type RequestInput struct {
	DepartmentID                                                             int64
	Kind, ServiceName, VendorName, Purpose, DataClass, StorageLocation       string
	Subcontractors, ContractFrom, ContractTo, ISMAPNumber, ISMAPExpires, SLA string
	MyNumber, SystemWork                                                     bool
}

func (s *Store) checkRequest(ctx context.Context, in *RequestInput) (FieldErrors, [3]time.Time) {
	fe := FieldErrors{}
	var dates [3]time.Time
	for _, p := range []*string{&in.ServiceName, &in.VendorName, &in.Purpose, &in.StorageLocation, &in.Subcontractors, &in.ISMAPNumber, &in.SLA} {
		*p = strings.TrimSpace(*p)
	}
	if KindLabel(in.Kind) == in.Kind {
		fe["kind"] = "クラウドサービスの利用か業務委託かを選んでください。"
	}
	if in.ServiceName == "" || runes(in.ServiceName) > 200 {
		fe["service_name"] = "サービス又は契約の名称を200文字以内で入力してください。"
	}
	if in.VendorName == "" || runes(in.VendorName) > 200 {
		fe["vendor_name"] = "事業者の名称を200文字以内で入力してください。"
	}
	if !slices.Contains(DataClasses, in.DataClass) {
		fe["data_class"] = "扱う情報の機密性を選んでください。"
	}
	for _, x := range []string{in.Purpose, in.StorageLocation, in.Subcontractors, in.SLA} {
		if runes(x) > 2000 {
			fe["text"] = "各欄は2,000文字以内で入力してください。"
		}
	}
	if runes(in.ISMAPNumber) > 50 {
		fe["ismap_number"] = "ISMAP の登録番号は50文字以内で入力してください。"
	}
	for i, x := range []struct{ v, field, label string }{{in.ContractFrom, "contract_from", "契約の開始日"}, {in.ContractTo, "contract_to", "契約の終了日"},
		{in.ISMAPExpires, "ismap_expires", "ISMAP の登録の有効期限"}} {
		if strings.TrimSpace(x.v) == "" {
			continue
		}
		t, err := jp.ParseDate(x.v)
		if err != nil {
			fe[x.field] = x.label + "を日付で入力してください（例：2027-03-31）。"
		}
		dates[i] = t
	}
	if !dates[0].IsZero() && !dates[1].IsZero() && dates[1].Before(dates[0]) {
		fe["contract_to"] = "契約の終了日が開始日より前になっています。"
	}
	if _, err := s.org.Department(ctx, in.DepartmentID); err != nil {
		fe["department"] = "依頼する所属（所管課）を選んでください。"
	}
	return fe, dates
}

// Create records a department's request.
func (s *Store) Create(ctx context.Context, in RequestInput, by string) (Request, error) {
	fe, dates := s.checkRequest(ctx, &in)
	if len(fe) > 0 {
		return Request{}, fe
	}
	now := s.now()
	fy := jp.FiscalYearOf(now)
	var id int64
	create := func(ctx context.Context) error {
		var n int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM vendor_requests WHERE fiscal_year = ?", fy).Scan(&n); err != nil {
			return err
		}
		var code string
		for k := n + 1; ; k++ {
			code = fmt.Sprintf("VR-R%d-%03d", fy-2018, k)
			var c int
			if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM vendor_requests WHERE code = ?", code).Scan(&c); err != nil {
				return err
			}
			if c == 0 {
				break
			}
		}
		var err error
		id, err = s.db.InsertID(ctx, `INSERT INTO vendor_requests (code, fiscal_year, department_id, kind, service_name, vendor_name, purpose, data_class,
			mynumber, system_work, storage_location, subcontractors, contract_from, contract_to, ismap_number, ismap_expires, sla, created_by_name, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, code, fy, in.DepartmentID, in.Kind, in.ServiceName, in.VendorName, in.Purpose,
			in.DataClass, in.MyNumber, in.SystemWork, in.StorageLocation, in.Subcontractors, dateKey(dates[0]), dateKey(dates[1]), in.ISMAPNumber,
			dateKey(dates[2]), in.SLA, by, database.T(now), database.T(now))
		if err != nil {
			return err
		}
		return s.log.Record(ctx, "vendor.request", fmt.Sprintf("vendor_request:%d", id), fmt.Sprintf("外部委託・クラウドの審査を依頼（%s、%s）", code, in.ServiceName))
	}
	// Requests made at the same moment (PostgreSQL) can pick the same next
	// code: the later one counts again.
	err := s.db.WithTxRetry(ctx, 20, create)
	if database.IsUniqueViolation(err) {
		return Request{}, FieldErrors{"code": "同時に登録された依頼と番号が重なりました。もう一度登録してください。"}
	}
	if err != nil {
		return Request{}, err
	}
	return s.Get(ctx, id)
}

func dateKey(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return jp.DateKey(t)
}

// Item is one question of a request's questionnaire with its answer and
// review.
type Item struct {
	Code         string
	Seq          int
	Category     string
	Question     string
	Priority     string
	Answer       string
	Note         string
	AnsweredAt   time.Time
	Review       string
	ToVendor     string
	InternalNote string
}

// Answers offered to the vendor.
var Answers = []string{"はい", "一部", "いいえ", "該当しない"}

// Reviews of an item.
var Reviews = []struct{ Key, Label string }{{"ok", "OK"}, {"check", "要確認"}, {"fix", "要修正"}}

// ReviewLabel is a review in Japanese.
func ReviewLabel(k string) string {
	for _, x := range Reviews {
		if x.Key == k {
			return x.Label
		}
	}
	return ""
}

// ReviewLabel is the item's review in Japanese.
func (i Item) ReviewLabel() string { return ReviewLabel(i.Review) }

// Risky reports whether the answer falls short on a required item.
func (i Item) Risky() bool {
	return i.Answer == "いいえ" || i.Answer == "一部" && i.Priority == "required"
}

// Items are a request's questionnaire in order.
func (s *Store) Items(ctx context.Context, id int64) ([]Item, error) {
	rows, err := s.db.Query(ctx, `SELECT item_code, seq, category, question, priority, answer, answer_note, answered_at, review, to_vendor, internal_note
		FROM vendor_items WHERE request_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var i Item
		var at string
		if err := rows.Scan(&i.Code, &i.Seq, &i.Category, &i.Question, &i.Priority, &i.Answer, &i.Note, &at, &i.Review, &i.ToVendor, &i.InternalNote); err != nil {
			return nil, err
		}
		i.AnsweredAt = stamp(at)
		out = append(out, i)
	}
	return out, rows.Err()
}

// Applies reports whether a catalogue item belongs in a request's
// questionnaire: every applicability tag of the item must hold for it
// (all and cloud_user always; mynumber when 特定個人情報 is handled;
// system_owner when the contract includes system work).
func (r Request) Applies(tags []string) bool {
	for _, t := range tags {
		switch t {
		case "all", "cloud_user":
		case "mynumber":
			if !r.MyNumber {
				return false
			}
		case "system_owner":
			if !r.SystemWork {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// Build makes the request's questionnaire from the newest version of the
// catalogue's template for its kind, pinned to that version, and opens it
// to the vendor. A questionnaire already built is not rebuilt.
func (s *Store) Build(ctx context.Context, r Request, by string) (int, error) {
	if r.State != StateRequested {
		return 0, FieldErrors{"state": "この審査の調査票はすでに作成されています。"}
	}
	ts, err := s.cat.Templates(ctx)
	if err != nil {
		return 0, err
	}
	var tpl catalog.StoredTemplate
	for _, t := range ts {
		if t.Kind == r.Kind && t.Version > tpl.Version {
			tpl = t
		}
	}
	if tpl.ID == 0 {
		return 0, FieldErrors{"template": "この種類のチェックリスト（" + r.KindLabel() + "）がカタログにありません。"}
	}
	items, err := s.cat.Items(ctx, catalog.ItemFilter{TemplateID: tpl.ID})
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE vendor_requests SET state = 'answering', template_id = ?, template_version = ?, rev = rev + 1, updated_at = ? WHERE id = ? AND state = 'requested'",
			tpl.ID, tpl.Version, database.T(s.now()), r.ID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return ErrStale
		}
		for _, it := range items {
			if !r.Applies(it.Applicability) {
				continue
			}
			n++
			if _, err := s.db.Exec(ctx, "INSERT INTO vendor_items (request_id, item_code, seq, category, question, priority) VALUES (?, ?, ?, ?, ?, ?)",
				r.ID, it.Code, n, it.Category, it.Question, it.Priority); err != nil {
				return err
			}
		}
		return s.log.Record(ctx, "vendor.build", fmt.Sprintf("vendor_request:%d", r.ID),
			fmt.Sprintf("%s の調査票を作成（%s %d年版から %d 項目）", r.Code, tpl.Title, tpl.Version, n))
	})
	return n, err
}

// Link is an issued link (the token is shown once).
type Link struct {
	ID        int64
	ExpiresAt time.Time
	RevokedAt time.Time
	LastUsed  time.Time
	CreatedBy string
	CreatedAt time.Time
}

// Live reports whether the link still opens the questionnaire.
func (l Link) Live(now time.Time) bool { return l.RevokedAt.IsZero() && now.Before(l.ExpiresAt) }

// Links are a request's links, newest first.
func (s *Store) Links(ctx context.Context, id int64) ([]Link, error) {
	rows, err := s.db.Query(ctx, "SELECT id, expires_at, revoked_at, last_used_at, created_by_name, created_at FROM vendor_links WHERE request_id = ? ORDER BY id DESC", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Link
	for rows.Next() {
		var l Link
		var exp, rev, used, at string
		if err := rows.Scan(&l.ID, &exp, &rev, &used, &l.CreatedBy, &at); err != nil {
			return nil, err
		}
		l.ExpiresAt, l.RevokedAt, l.LastUsed, l.CreatedAt = stamp(exp), stamp(rev), stamp(used), stamp(at)
		out = append(out, l)
	}
	return out, rows.Err()
}

// IssueLink makes a new link valid for days days (1–60); every earlier
// link of the request is revoked (one live link per questionnaire).
func (s *Store) IssueLink(ctx context.Context, r Request, days int, by string) (string, time.Time, error) {
	if !r.State.Open() {
		return "", time.Time{}, FieldErrors{"link": "回答を受け付けている審査（回答待ち・修正依頼中）にだけリンクを発行できます。"}
	}
	if days < 1 || days > 60 {
		return "", time.Time{}, FieldErrors{"link": "有効期間は1～60日で指定してください。"}
	}
	now := s.now()
	t := now.In(jp.JST)
	exp := time.Date(t.Year(), t.Month(), t.Day()+days+1, 0, 0, 0, 0, jp.JST)
	tok := web.NewToken(24)
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// Two links issued at once would each revoke the older ones and
		// both stay live; the request's row serialises them.
		if err := s.lockOpen(ctx, r.ID); errors.Is(err, ErrLocked) {
			return FieldErrors{"link": "回答を受け付けている審査（回答待ち・修正依頼中）にだけリンクを発行できます。"}
		} else if err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, "UPDATE vendor_links SET revoked_at = ? WHERE request_id = ? AND revoked_at = ''", stampOf(now), r.ID); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, "INSERT INTO vendor_links (request_id, token_hash, expires_at, created_by_name, created_at) VALUES (?, ?, ?, ?, ?)",
			r.ID, tokenHash(tok), stampOf(exp), by, stampOf(now)); err != nil {
			return err
		}
		return s.log.Record(ctx, "vendor.link", fmt.Sprintf("vendor_request:%d", r.ID), fmt.Sprintf("%s の回答用リンクを発行（%s まで。それまでのリンクは取消し）", r.Code, jp.FormatWarekiDateTime(exp)))
	})
	return tok, exp, err
}

// RevokeLinks revokes every live link of a request.
func (s *Store) RevokeLinks(ctx context.Context, r Request, by string) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE vendor_links SET revoked_at = ? WHERE request_id = ? AND revoked_at = ''", stampOf(s.now()), r.ID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		return s.log.Record(ctx, "vendor.revoke", fmt.Sprintf("vendor_request:%d", r.ID), fmt.Sprintf("%s の回答用リンクを取消し（%d 件）", r.Code, n))
	})
}

// ByToken finds the request of a live link and notes its use. A link
// that does not open (unknown, expired, revoked) is recorded in the audit
// log with the address it came from, and answered ErrLink.
func (s *Store) ByToken(ctx context.Context, tok, from string) (Request, error) {
	fail := func(why string) (Request, error) {
		_ = s.log.Record(ctx, "vendor.link_refused", "vendor_links", fmt.Sprintf("開けない回答用リンク（%s、%s）", why, from))
		return Request{}, ErrLink
	}
	if len(tok) < 16 || len(tok) > 100 {
		return fail("形式が違う")
	}
	var id, rid int64
	var exp, rev string
	err := s.db.QueryRow(ctx, "SELECT id, request_id, expires_at, revoked_at FROM vendor_links WHERE token_hash = ?", tokenHash(tok)).Scan(&id, &rid, &exp, &rev)
	if errors.Is(err, sql.ErrNoRows) {
		return fail("登録のないリンク")
	}
	if err != nil {
		return Request{}, err
	}
	now := s.now()
	switch {
	case rev != "":
		return fail("取り消されたリンク")
	case !now.Before(stamp(exp)):
		return fail("有効期限切れのリンク")
	}
	if _, err := s.db.Exec(ctx, "UPDATE vendor_links SET last_used_at = ? WHERE id = ?", stampOf(now), id); err != nil {
		return Request{}, err
	}
	return s.Get(ctx, rid)
}

// AnswerInput is one item's answer as typed.
type AnswerInput struct{ Answer, Note string }

// SaveAnswers keeps the vendor's answers as typed (a draft; nothing is
// submitted). Answers to items not in the questionnaire are refused; a
// blank answer and note leave the item as it was.
func (s *Store) SaveAnswers(ctx context.Context, r Request, in map[string]AnswerInput, source string) (int, error) {
	if !r.State.Open() {
		return 0, ErrLocked
	}
	items, err := s.Items(ctx, r.ID)
	if err != nil {
		return 0, err
	}
	known := map[string]Item{}
	for _, i := range items {
		known[i.Code] = i
	}
	fe := FieldErrors{}
	for code, a := range in {
		a.Answer, a.Note = strings.TrimSpace(a.Answer), strings.TrimSpace(a.Note)
		in[code] = a
		if _, ok := known[code]; !ok {
			fe["item:"+code] = fmt.Sprintf("項目「%s」はこの調査票にありません。", code)
			continue
		}
		if a.Answer != "" && !slices.Contains(Answers, a.Answer) {
			fe["item:"+code] = fmt.Sprintf("%s：回答は %s のいずれかです。", code, strings.Join(Answers, "・"))
		}
		if runes(a.Note) > 2000 {
			fe["item:"+code] = fmt.Sprintf("%s：説明は2,000文字以内で入力してください。", code)
		}
	}
	if len(fe) > 0 {
		return 0, fe
	}
	n := 0
	now := s.now()
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		// The request's row is locked and the answers read again inside
		// the transaction: a submission (or another save) in flight on
		// PostgreSQL would otherwise be overtaken by answers checked
		// against the state and answers read before it.
		n = 0
		if err := s.lockOpen(ctx, r.ID); err != nil {
			return err
		}
		items, err := s.Items(ctx, r.ID)
		if err != nil {
			return err
		}
		known := map[string]Item{}
		for _, i := range items {
			known[i.Code] = i
		}
		for code, a := range in {
			old := known[code]
			if a.Answer == "" && a.Note == "" || a.Answer == old.Answer && a.Note == old.Note {
				continue
			}
			if a.Answer == "" {
				a.Answer = old.Answer
			}
			if _, err := s.db.Exec(ctx, "UPDATE vendor_items SET answer = ?, answer_note = ?, answered_at = ? WHERE request_id = ? AND item_code = ?",
				a.Answer, a.Note, stampOf(now), r.ID, code); err != nil {
				return err
			}
			n++
		}
		if n == 0 {
			return nil
		}
		// The revision moves, so that an Excel file exported before these
		// answers cannot overwrite them.
		if _, err := s.db.Exec(ctx, "UPDATE vendor_requests SET rev = rev + 1, updated_at = ? WHERE id = ?", database.T(now), r.ID); err != nil {
			return err
		}
		return s.log.Record(ctx, "vendor.answer", fmt.Sprintf("vendor_request:%d", r.ID), fmt.Sprintf("%s の回答を保存（%d 項目、%s）", r.Code, n, source))
	})
	return n, err
}

// lockOpen locks the request's row until the transaction ends and reports
// ErrLocked unless the request still takes answers. Saves, links and
// evidence take it, as Submit's state change does, so that none of them
// lands after a submission it did not see.
func (s *Store) lockOpen(ctx context.Context, id int64) error {
	if err := s.db.LockRow(ctx, "vendor_requests", id); err != nil {
		return err
	}
	var st string
	if err := s.db.QueryRow(ctx, "SELECT state FROM vendor_requests WHERE id = ?", id).Scan(&st); err != nil {
		return err
	}
	if !State(st).Open() {
		return ErrLocked
	}
	return nil
}

// Submission is one submission kept whole.
type Submission struct {
	Seq     int
	Source  string
	At      time.Time
	Answers map[string]AnswerInput
}

// Submit hands the answers in: every item must be answered; the answers
// are kept as a submission and the request goes to review.
func (s *Store) Submit(ctx context.Context, r Request, source string) error {
	if !r.State.Open() {
		return ErrLocked
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE vendor_requests SET state = 'review', rev = rev + 1, updated_at = ? WHERE id = ? AND state IN ('answering', 'returned')",
			database.T(s.now()), r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrLocked
		}
		// The answers are read after the request's row is taken: a save
		// committed just before is in the submission, and none can follow.
		items, err := s.Items(ctx, r.ID)
		if err != nil {
			return err
		}
		snap := map[string]AnswerInput{}
		var missing []string
		for _, i := range items {
			if i.Answer == "" {
				missing = append(missing, i.Code)
			}
			snap[i.Code] = AnswerInput{Answer: i.Answer, Note: i.Note}
		}
		if len(missing) > 0 {
			return FieldErrors{"submit": fmt.Sprintf("回答のない項目が %d あります（%s）。すべて回答してから提出してください。", len(missing), strings.Join(missing[:min(len(missing), 5)], "、"))}
		}
		b, err := json.Marshal(snap)
		if err != nil {
			return err
		}
		var seq int
		if err := s.db.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM vendor_submissions WHERE request_id = ?", r.ID).Scan(&seq); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, "INSERT INTO vendor_submissions (request_id, seq, source, answers, submitted_at) VALUES (?, ?, ?, ?, ?)",
			r.ID, seq, source, string(b), stampOf(s.now())); err != nil {
			return err
		}
		return s.log.Record(ctx, "vendor.submit", fmt.Sprintf("vendor_request:%d", r.ID), fmt.Sprintf("%s の回答が提出された（第%d回、%s）", r.Code, seq, source))
	})
}

// Submissions are a request's submissions, oldest first.
func (s *Store) Submissions(ctx context.Context, id int64) ([]Submission, error) {
	rows, err := s.db.Query(ctx, "SELECT seq, source, answers, submitted_at FROM vendor_submissions WHERE request_id = ? ORDER BY seq", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Submission
	for rows.Next() {
		var x Submission
		var b, at string
		if err := rows.Scan(&x.Seq, &x.Source, &b, &at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(b), &x.Answers); err != nil {
			return nil, err
		}
		x.At = stamp(at)
		out = append(out, x)
	}
	return out, rows.Err()
}
