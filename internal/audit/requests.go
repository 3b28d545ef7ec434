package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// This file is the list of documents the audited department is asked to
// submit before the visit (提出資料一覧, audit_doc_requests): the auditors
// add, change and remove requests (name, purpose, the items each serves,
// due date) or take a proposal made from the checklist's evidence lists;
// the department uploads its files for each request as evidence
// (AddEvidence, kind document), encrypted with the engagement's key.

// DocRequest is one requested document with the files submitted for it.
type DocRequest struct {
	ID           int64
	EngagementID int64
	Order        int
	Name         string
	Purpose      string
	ItemCodes    []string // the checklist items the document serves
	Due          time.Time
	Rev          int64
	Files        []RequestFile // oldest first
}

// DueWareki is the due date in 和暦 ("" when none).
func (r DocRequest) DueWareki() string { return wareki(r.Due) }

// Overdue reports whether no file has come and the due date has passed.
func (r DocRequest) Overdue(now time.Time) bool {
	return len(r.Files) == 0 && !r.Due.IsZero() && jp.DateKey(r.Due) < jp.DateKey(now)
}

// Serves reports whether the document serves the item code.
func (r DocRequest) Serves(code string) bool {
	for _, c := range r.ItemCodes {
		if c == code {
			return true
		}
	}
	return false
}

// RequestFile is a file submitted for a request, with the department of
// the person who uploaded it (an auditee sees their own department's).
type RequestFile struct {
	Evidence
	DepartmentID int64
	Department   string
}

// ShortSHA is the start of the file's SHA-256, as lists show it.
func (f RequestFile) ShortSHA() string {
	if len(f.SHA256) > 12 {
		return f.SHA256[:12]
	}
	return f.SHA256
}

// SizeLabel is the file's size for people (「1.2 MB」「34 KB」).
func (f RequestFile) SizeLabel() string { return sizeLabel(f.Size) }

func sizeLabel(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+1023)>>10)
	}
	return fmt.Sprintf("%d バイト", n)
}

// Viewable reports whether a browser can show the file itself (an image
// or a PDF), so that a page may offer to view it without saving.
func (f RequestFile) Viewable() bool { return viewableType(f.ContentType) }

func viewableType(ct string) bool {
	switch ct {
	case "application/pdf", "image/png", "image/jpeg":
		return true
	}
	return false
}

const requestCols = `id, engagement_id, sort_order, name, purpose, item_codes, due_date, rev`

func scanRequest(sc interface{ Scan(...any) error }) (DocRequest, error) {
	var r DocRequest
	var codes, due string
	err := sc.Scan(&r.ID, &r.EngagementID, &r.Order, &r.Name, &r.Purpose, &codes, &due, &r.Rev)
	r.ItemCodes, r.Due = splitList(codes), jp.ParseDateKey(due)
	return r, err
}

// Requests lists an engagement's requested documents in order, each with
// the files submitted for it.
func (s *Store) Requests(ctx context.Context, engagementID int64) ([]DocRequest, error) {
	rows, err := s.db.Query(ctx, "SELECT "+requestCols+" FROM audit_doc_requests WHERE engagement_id = ? ORDER BY sort_order, id", engagementID)
	if err != nil {
		return nil, fmt.Errorf("audit.Requests: %w", err)
	}
	var out []DocRequest
	idx := map[int64]int{}
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("audit.Requests: %w", err)
		}
		idx[r.ID] = len(out)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit.Requests: %w", err)
	}
	files, err := s.requestFiles(ctx, engagementID, 0)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if i, ok := idx[f.RequestID]; ok {
			out[i].Files = append(out[i].Files, f)
		}
	}
	return out, nil
}

// Request is one requested document of an engagement with its files; a
// request of another engagement is database.ErrNotFound.
func (s *Store) Request(ctx context.Context, engagementID, id int64) (DocRequest, error) {
	r, err := scanRequest(s.db.QueryRow(ctx, "SELECT "+requestCols+" FROM audit_doc_requests WHERE id = ? AND engagement_id = ?", id, engagementID))
	if errors.Is(err, sql.ErrNoRows) {
		return r, database.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("audit.Request: %w", err)
	}
	r.Files, err = s.requestFiles(ctx, engagementID, id)
	return r, err
}

// requestFiles lists the files submitted for the engagement's requests
// (for one request when requestID is not 0), with the uploaders'
// departments.
func (s *Store) requestFiles(ctx context.Context, engagementID, requestID int64) ([]RequestFile, error) {
	q := `SELECT v.id, v.engagement_id, COALESCE(v.request_id, 0), COALESCE(v.item_id, 0), v.kind, v.filename, v.content_type, v.size, v.sha256,
		v.note, v.uploaded_by_name, v.created_at, COALESCE(u.department_id, 0)
		FROM audit_evidence v LEFT JOIN users u ON u.id = v.uploaded_by
		WHERE v.engagement_id = ? AND v.request_id IS NOT NULL`
	args := []any{engagementID}
	if requestID != 0 {
		q, args = q+" AND v.request_id = ?", append(args, requestID)
	}
	rows, err := s.db.Query(ctx, q+" ORDER BY v.id", args...)
	if err != nil {
		return nil, fmt.Errorf("audit.requestFiles: %w", err)
	}
	defer rows.Close()
	var out []RequestFile
	for rows.Next() {
		var f RequestFile
		var at database.Time
		if err := rows.Scan(&f.ID, &f.EngagementID, &f.RequestID, &f.ItemID, &f.Kind, &f.Filename, &f.ContentType, &f.Size, &f.SHA256,
			&f.Note, &f.UploadedBy, &at, &f.DepartmentID); err != nil {
			return nil, fmt.Errorf("audit.requestFiles: %w", err)
		}
		f.CreatedAt = at.Time
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if d := tree.ByID[out[i].DepartmentID]; d != nil {
			out[i].Department = d.Name
		}
	}
	return out, nil
}

// RequestInput is a requested document as the auditor typed it.
type RequestInput struct {
	Name    string
	Purpose string
	Items   string // item codes, separated by commas, 「、」, spaces or lines
	Due     string // a date as jp.ParseDate reads it ("" for none)
}

// Limits of a request's fields.
const (
	maxRequestName    = 100
	maxRequestPurpose = 500
	maxRequests       = 300
)

var codeSep = regexp.MustCompile(`[\s,，、・]+`)

// checkRequest validates a request against the engagement's checklist and
// returns it cleaned: the codes as stored and the due date.
func (s *Store) checkRequest(ctx context.Context, engagementID int64, in RequestInput) (RequestInput, []string, time.Time, FieldErrors, error) {
	fe := FieldErrors{}
	in.Name, in.Purpose = cleanText(in.Name), cleanAnswer(in.Purpose)
	switch {
	case in.Name == "":
		fe["name"] = "資料の名称を入力してください。"
	case utf8.RuneCountInString(in.Name) > maxRequestName:
		fe["name"] = fmt.Sprintf("資料の名称は%d文字以内で入力してください。", maxRequestName)
	}
	if utf8.RuneCountInString(in.Purpose) > maxRequestPurpose {
		fe["purpose"] = fmt.Sprintf("目的は%d文字以内で入力してください。", maxRequestPurpose)
	}
	var codes []string
	if raw := strings.TrimSpace(jp.Normalize(in.Items)); raw != "" {
		items, err := s.Items(ctx, engagementID, ItemFilter{})
		if err != nil {
			return in, nil, time.Time{}, nil, err
		}
		known := map[string]string{}
		for _, it := range items {
			known[strings.ToUpper(it.Code)] = it.Code
		}
		seen := map[string]bool{}
		var unknown []string
		for _, c := range codeSep.Split(raw, -1) {
			if c == "" {
				continue
			}
			code, ok := known[strings.ToUpper(c)]
			if !ok {
				unknown = append(unknown, c)
				continue
			}
			if !seen[code] {
				seen[code] = true
				codes = append(codes, code)
			}
		}
		if len(unknown) > 0 {
			fe["items"] = fmt.Sprintf("項目「%s」はこの監査のチェックリストにありません（除外した項目も指定できません）。", strings.Join(unknown, "」「"))
		}
	}
	in.Items = strings.Join(codes, "、")
	var due time.Time
	if d := strings.TrimSpace(in.Due); d != "" {
		t, err := jp.ParseDate(d)
		if err != nil {
			fe["due"] = fmt.Sprintf("提出期限「%s」を日付として読めません（例：2026-06-01、令和8年6月1日）。", d)
		}
		due = t
	}
	if len(fe) > 0 {
		return in, nil, due, fe, nil
	}
	return in, codes, due, nil, nil
}

// AddRequest adds a requested document at the end of the list, audited,
// and returns its id.
func (s *Store) AddRequest(ctx context.Context, engagementID int64, in RequestInput, by Actor) (int64, error) {
	ids, err := s.AddRequests(ctx, engagementID, []RequestInput{in}, by)
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// AddRequests adds requested documents at the end of the list in one
// transaction (a proposal taken, the demo), audited; a bad one leaves all
// out. Field errors of the n-th input are keyed "name", "purpose" … for a
// single input and "n:name" … for several.
func (s *Store) AddRequests(ctx context.Context, engagementID int64, ins []RequestInput, by Actor) ([]int64, error) {
	if len(ins) == 0 {
		return nil, FieldErrors{"form": "追加する資料を選んでください。"}
	}
	type clean struct {
		in    RequestInput
		codes []string
		due   time.Time
	}
	var cs []clean
	fe := FieldErrors{}
	for i, in := range ins {
		in, codes, due, f, err := s.checkRequest(ctx, engagementID, in)
		if err != nil {
			return nil, fmt.Errorf("audit.AddRequests: %w", err)
		}
		for k, v := range f {
			if len(ins) > 1 {
				k, v = fmt.Sprintf("%d:%s", i+1, k), fmt.Sprintf("%d件目（%s）: %s", i+1, in.Name, v)
			}
			fe[k] = v
		}
		cs = append(cs, clean{in, codes, due})
	}
	if len(fe) > 0 {
		return nil, fe
	}
	var ids []int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// The count and the last position are read, then written on: on
		// PostgreSQL two additions at once would share positions and could
		// pass the limit together.
		if err := s.db.LockRow(ctx, "audit_engagements", engagementID); err != nil {
			return err
		}
		var n, last int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*), COALESCE(MAX(sort_order), 0) FROM audit_doc_requests WHERE engagement_id = ?", engagementID).Scan(&n, &last); err != nil {
			return err
		}
		if n+len(cs) > maxRequests {
			return FieldErrors{"form": fmt.Sprintf("提出資料は1つの監査で%d件までです（登録済み %d 件）。", maxRequests, n)}
		}
		var names []string
		for i, c := range cs {
			id, err := s.db.InsertID(ctx, `INSERT INTO audit_doc_requests (engagement_id, sort_order, name, purpose, item_codes, due_date)
				VALUES (?, ?, ?, ?, ?, ?)`, engagementID, last+i+1, c.in.Name, c.in.Purpose, strings.Join(c.codes, ","), jp.DateKey(c.due))
			if err != nil {
				return err
			}
			ids = append(ids, id)
			names = append(names, c.in.Name)
		}
		if len(ids) == 1 {
			return s.log.Record(ctx, "audit.request_add", fmt.Sprintf("audit_request:%d", ids[0]), "提出資料「"+names[0]+"」を依頼")
		}
		return s.log.Record(ctx, "audit.request_add", fmt.Sprintf("audit_engagement:%d", engagementID),
			fmt.Sprintf("提出資料を %d 件依頼（%s）", len(ids), codeList(names, 5)))
	})
	if err != nil {
		var f FieldErrors
		if errors.As(err, &f) {
			return nil, f
		}
		return nil, fmt.Errorf("audit.AddRequests: %w", err)
	}
	return ids, nil
}

// UpdateRequest changes a requested document, if rev is still the stored
// one (ErrConflict otherwise); a request of another engagement is
// database.ErrNotFound.
func (s *Store) UpdateRequest(ctx context.Context, engagementID, id, rev int64, in RequestInput, by Actor) error {
	in, codes, due, fe, err := s.checkRequest(ctx, engagementID, in)
	if err != nil {
		return fmt.Errorf("audit.UpdateRequest: %w", err)
	}
	if fe != nil {
		return fe
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		cur, err := s.Request(ctx, engagementID, id)
		if err != nil {
			return err
		}
		res, err := s.db.Exec(ctx, `UPDATE audit_doc_requests SET name = ?, purpose = ?, item_codes = ?, due_date = ?, rev = rev + 1
			WHERE id = ? AND engagement_id = ? AND rev = ?`, in.Name, in.Purpose, strings.Join(codes, ","), jp.DateKey(due), id, engagementID, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		detail := "提出資料「" + in.Name + "」の依頼を変更"
		if cur.Name != in.Name {
			detail = "提出資料「" + cur.Name + "」の依頼を変更（名称を「" + in.Name + "」に）"
		}
		return s.log.Record(ctx, "audit.request_update", fmt.Sprintf("audit_request:%d", id), detail)
	})
	if err != nil && !errors.Is(err, ErrConflict) && !errors.Is(err, database.ErrNotFound) {
		return fmt.Errorf("audit.UpdateRequest: %w", err)
	}
	return err
}

// RemoveRequest removes a requested document that no file has been
// submitted for yet (the files are evidence and stay linked to it).
func (s *Store) RemoveRequest(ctx context.Context, engagementID, id, rev int64, by Actor) error {
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// An upload for this request in flight (AddEvidence takes the same
		// lock) is waited for, so that the file check below still holds.
		if err := s.db.LockRow(ctx, "audit_engagements", engagementID); err != nil {
			return err
		}
		cur, err := s.Request(ctx, engagementID, id)
		if err != nil {
			return err
		}
		if len(cur.Files) > 0 {
			return FieldErrors{"form": fmt.Sprintf("「%s」には提出されたファイルが %d 件あるため、削除できません。", cur.Name, len(cur.Files))}
		}
		res, err := s.db.Exec(ctx, "DELETE FROM audit_doc_requests WHERE id = ? AND engagement_id = ? AND rev = ?", id, engagementID, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		return s.log.Record(ctx, "audit.request_remove", fmt.Sprintf("audit_engagement:%d", engagementID), "提出資料「"+cur.Name+"」の依頼を削除")
	})
	var fe FieldErrors
	if err != nil && !errors.As(err, &fe) && !errors.Is(err, ErrConflict) && !errors.Is(err, database.ErrNotFound) {
		return fmt.Errorf("audit.RemoveRequest: %w", err)
	}
	return err
}

// RequestProposal is a document the checklist suggests asking for: an
// entry of the questionnaire items' evidence lists, with the items it
// serves.
type RequestProposal struct {
	Name      string
	Purpose   string
	ItemCodes []string
	Suggested bool // serves several items or an item marked 重点確認: checked by default
}

// trailingNote is a note in brackets at the end of an evidence entry
// (「電磁的記録媒体管理簿（暗号化の有無）」): what to look at in the document.
var trailingNote = regexp.MustCompile(`[（(][^（）()]*[）)]$`)

// ProposeRequests proposes the list of documents to request from the
// evidence lists of the questionnaire's items: one proposal per document
// (entries that differ only by a note in brackets are one document), the
// ones serving most items first, leaving out documents already requested.
func (s *Store) ProposeRequests(ctx context.Context, engagementID int64) ([]RequestProposal, error) {
	text, err := presurveyText()
	if err != nil {
		return nil, err
	}
	items, err := s.PresurveyItems(ctx, engagementID)
	if err != nil {
		return nil, err
	}
	reqs, err := s.Requests(ctx, engagementID)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, r := range reqs {
		have[jp.Key(r.Name)] = true
	}
	type acc struct {
		p     RequestProposal
		first int
		cats  []string
		focus bool
	}
	byKey := map[string]*acc{}
	var order []string
	for i, it := range items {
		for _, ev := range it.Evidence {
			name := strings.TrimSpace(trailingNote.ReplaceAllString(strings.TrimSpace(ev), ""))
			if name == "" {
				name = strings.TrimSpace(ev)
			}
			k := jp.Key(name)
			if k == "" || have[k] {
				continue
			}
			a := byKey[k]
			if a == nil {
				a = &acc{p: RequestProposal{Name: name}, first: i}
				byKey[k] = a
				order = append(order, k)
			}
			if !contains(a.p.ItemCodes, it.Code) {
				a.p.ItemCodes = append(a.p.ItemCodes, it.Code)
			}
			cat := it.Category
			if j := strings.LastIndex(cat, "／"); j >= 0 {
				cat = cat[j+len("／"):]
			}
			if cat != "" && !contains(a.cats, cat) {
				a.cats = append(a.cats, cat)
			}
			a.focus = a.focus || it.Focus
		}
	}
	out := make([]RequestProposal, 0, len(order))
	for _, k := range order {
		a := byKey[k]
		cats := a.cats
		more := ""
		if len(cats) > 2 {
			cats, more = cats[:2], "など"
		}
		if len(cats) > 0 {
			a.p.Purpose = strings.ReplaceAll(text.ProposalPurpose, "{categories}", "「"+strings.Join(cats, "」「")+"」"+more)
		}
		a.p.Suggested = len(a.p.ItemCodes) >= 2 || a.focus
		out = append(out, a.p)
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].ItemCodes) > len(out[j].ItemCodes) })
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
