package policy

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/org"
	"mamori/internal/policy/provision"
)

// Store keeps policy documents, versions, changes and quiz drafts. Every
// change is written with its audit-log entry in one transaction.
type Store struct {
	db   *database.DB
	log  *auditlog.Log
	now  func() time.Time
	org  org.Reader // departments and the ward's name
	docs *docsCache // the document list, between changes
}

// NewStore returns a store on db.
func NewStore(db *database.DB, log *auditlog.Log, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, log: log, now: now, org: org.NewReader(db, now), docs: &docsCache{}}
}

// withOrg returns the store reading the organisation through o (the app's
// shared read API and its caches) instead of a reader of its own.
func (s *Store) withOrg(o org.Reader) *Store {
	if o != nil {
		s.org = o
	}
	return s
}

// Author is who makes a change (the signed-in user, or a CLI/demo actor).
type Author struct {
	ID   int64
	Name string
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// dateText stores a date as YYYY-MM-DD (its calendar day in Japan).
func dateText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(jp.JST).Format("2006-01-02")
}

func parseDateText(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation("2006-01-02", s, jp.JST)
	if err != nil {
		return time.Time{}
	}
	return t
}

// EncodeTree is the JSON a version's tree is stored as.
func EncodeTree(d *provision.Document) (string, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("policy.EncodeTree: %w", err)
	}
	return string(b), nil
}

// DecodeTree reads a stored tree.
func DecodeTree(s string) (*provision.Document, error) {
	var d provision.Document
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return nil, fmt.Errorf("policy.DecodeTree: %w", err)
	}
	return &d, nil
}

// DocumentInput is what the document form sets.
type DocumentInput struct {
	Kind         Kind
	Title        string
	DepartmentID int64
	Note         string
}

// Validate checks the input and returns a Japanese message naming the field.
func (in *DocumentInput) Validate() error {
	in.Title = strings.TrimSpace(in.Title)
	in.Note = strings.TrimSpace(in.Note)
	switch {
	case !in.Kind.Valid():
		return fmt.Errorf("種類: 基本方針・対策基準・実施手順・インシデント対応ハンドブックから選んでください")
	case in.Title == "":
		return fmt.Errorf("文書名: 入力してください")
	case len([]rune(in.Title)) > 200:
		return fmt.Errorf("文書名: 200 文字以内で入力してください")
	case jp.HasControl(in.Title):
		return fmt.Errorf("文書名: 制御文字は使えません")
	case len([]rune(in.Note)) > 2000:
		return fmt.Errorf("備考: 2,000 文字以内で入力してください")
	case in.Kind == KindProcedure && in.DepartmentID == 0:
		return fmt.Errorf("所管所属: 実施手順は所管する所属を選んでください")
	}
	return nil
}

// CreateDocument stores a new document.
func (s *Store) CreateDocument(ctx context.Context, in DocumentInput, by Author) (int64, error) {
	defer s.docs.forget()
	if err := in.Validate(); err != nil {
		return 0, &InputError{Msg: err.Error()}
	}
	var id int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		var err error
		id, err = s.db.InsertID(ctx, `INSERT INTO policy_documents (kind, title, department_id, note, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, string(in.Kind), in.Title, nullID(in.DepartmentID), in.Note, nullID(by.ID), now, now)
		if err != nil {
			return err
		}
		return s.log.Record(ctx, "policy.document_create", fmt.Sprintf("policy_document:%d", id), in.Kind.Label()+" "+in.Title)
	})
	if err != nil {
		return 0, fmt.Errorf("policy.CreateDocument: %w", err)
	}
	return id, nil
}

// UpdateDocument changes a document's title, owning department and note
// (its kind stays).
func (s *Store) UpdateDocument(ctx context.Context, id int64, in DocumentInput) error {
	defer s.docs.forget()
	old, err := s.Document(ctx, id)
	if err != nil {
		return err
	}
	in.Kind = old.Kind
	if err := in.Validate(); err != nil {
		return &InputError{Msg: err.Error()}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, "UPDATE policy_documents SET title = ?, department_id = ?, note = ?, updated_at = ? WHERE id = ?",
			in.Title, nullID(in.DepartmentID), in.Note, database.T(s.now()), id); err != nil {
			return fmt.Errorf("policy.UpdateDocument: %w", err)
		}
		detail := in.Title
		if old.Title != in.Title {
			detail = old.Title + " → " + in.Title
		}
		return s.log.Record(ctx, "policy.document_update", fmt.Sprintf("policy_document:%d", id), detail)
	})
}

const docCols = `d.id, d.kind, d.title, COALESCE(d.department_id, 0), d.note, d.created_at, d.updated_at`

func scanDoc(sc interface{ Scan(...any) error }) (Document, error) {
	var d Document
	var kind string
	var c, u database.Time
	err := sc.Scan(&d.ID, &kind, &d.Title, &d.DepartmentID, &d.Note, &c, &u)
	d.Kind, d.CreatedAt, d.UpdatedAt = Kind(kind), c.Time, u.Time
	return d, err
}

// departmentNames fills the owning departments' names from the
// organisation.
func (s *Store) departmentNames(ctx context.Context, docs []Document) error {
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return fmt.Errorf("policy: departments: %w", err)
	}
	for i := range docs {
		if dep := tree.ByID[docs[i].DepartmentID]; dep != nil {
			docs[i].Department = dep.Name
		}
	}
	return nil
}

// Document returns one document (without its versions).
func (s *Store) Document(ctx context.Context, id int64) (Document, error) {
	d, err := scanDoc(s.db.QueryRow(ctx, "SELECT "+docCols+" FROM policy_documents d WHERE d.id = ?", id))
	if err != nil {
		return d, database.NotFound("policy.Document", err)
	}
	one := []Document{d}
	err = s.departmentNames(ctx, one)
	return one[0], err
}

// Documents lists every document (kind order, then title) with its
// adopted version and drafts in progress.
func (s *Store) Documents(ctx context.Context) ([]Document, error) {
	var docs []Document
	var err error
	if database.InTx(ctx) {
		docs, err = s.documents(ctx)
	} else {
		now := time.Now()
		kept, gen, ok := s.docs.get(now)
		if docs = kept; !ok {
			if docs, err = s.documents(ctx); err == nil {
				s.docs.put(docs, gen, now)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	// Department names (and the order, which follows them) through the
	// organisation's own cache, so that a renamed department shows as
	// soon as the organisation sees it.
	if err := s.departmentNames(ctx, docs); err != nil {
		return nil, err
	}
	order := map[Kind]int{}
	for i, k := range Kinds {
		order[k] = i
	}
	sortDocs(docs, order)
	return docs, nil
}

// documents reads every document with its adopted version and drafts, in
// id order and without department names.
func (s *Store) documents(ctx context.Context) ([]Document, error) {
	rows, err := s.db.Query(ctx, "SELECT "+docCols+" FROM policy_documents d ORDER BY d.id")
	if err != nil {
		return nil, fmt.Errorf("policy.Documents: %w", err)
	}
	var docs []Document
	byID := map[int64]int{}
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		byID[d.ID] = len(docs)
		docs = append(docs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	vs, err := s.versions(ctx, "v.status <> ?", string(StatusSuperseded))
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		i, ok := byID[v.DocumentID]
		if !ok {
			continue
		}
		if v.Status == StatusAdopted {
			vv := v
			docs[i].Adopted = &vv
		} else {
			docs[i].Drafts = append(docs[i].Drafts, v)
		}
	}
	return docs, nil
}

func sortDocs(docs []Document, order map[Kind]int) {
	less := func(a, b Document) bool {
		if order[a.Kind] != order[b.Kind] {
			return order[a.Kind] < order[b.Kind]
		}
		if a.Department != b.Department {
			return a.Department < b.Department
		}
		return a.ID < b.ID
	}
	for i := 1; i < len(docs); i++ {
		for j := i; j > 0 && less(docs[j], docs[j-1]); j-- {
			docs[j], docs[j-1] = docs[j-1], docs[j]
		}
	}
}

const versionCols = `v.id, v.document_id, v.status, v.label, COALESCE(v.base_version_id, 0), COALESCE(v.source_blob_id, 0), v.source_name,
	v.effective_date, v.decided_by, v.decided_date, v.adopted_at, v.superseded_at, v.rev, COALESCE(v.created_by, 0), COALESCE(u.display_name, ''),
	v.created_at, v.updated_at`

func scanVersion(sc interface{ Scan(...any) error }) (Version, error) {
	var v Version
	var status, eff, dec string
	var ad, sup, c, u database.Time
	err := sc.Scan(&v.ID, &v.DocumentID, &status, &v.Label, &v.BaseVersionID, &v.SourceBlobID, &v.SourceName, &eff, &v.DecidedBy, &dec,
		&ad, &sup, &v.Rev, &v.CreatedBy, &v.CreatedByName, &c, &u)
	v.Status = Status(status)
	v.EffectiveDate, v.DecidedDate = parseDateText(eff), parseDateText(dec)
	v.AdoptedAt, v.SupersededAt, v.CreatedAt, v.UpdatedAt = ad.Time, sup.Time, c.Time, u.Time
	return v, err
}

func (s *Store) versions(ctx context.Context, where string, args ...any) ([]Version, error) {
	rows, err := s.db.Query(ctx, "SELECT "+versionCols+" FROM policy_versions v LEFT JOIN users u ON u.id = v.created_by WHERE "+where+
		" ORDER BY v.id DESC", args...)
	if err != nil {
		return nil, fmt.Errorf("policy.versions: %w", err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Versions lists a document's versions, newest first.
func (s *Store) Versions(ctx context.Context, docID int64) ([]Version, error) {
	return s.versions(ctx, "v.document_id = ?", docID)
}

// Version returns one version (without its tree).
func (s *Store) Version(ctx context.Context, id int64) (Version, error) {
	v, err := scanVersion(s.db.QueryRow(ctx, "SELECT "+versionCols+" FROM policy_versions v LEFT JOIN users u ON u.id = v.created_by WHERE v.id = ?", id))
	if err != nil {
		return v, database.NotFound("policy.Version", err)
	}
	return v, nil
}

// AdoptedVersion returns the version in force of a document, if any.
func (s *Store) AdoptedVersion(ctx context.Context, docID int64) (Version, bool, error) {
	vs, err := s.versions(ctx, "v.document_id = ? AND v.status = ?", docID, string(StatusAdopted))
	if err != nil || len(vs) == 0 {
		return Version{}, false, err
	}
	return vs[0], true, nil
}

// Tree loads a version's provision tree.
func (s *Store) Tree(ctx context.Context, versionID int64) (*provision.Document, error) {
	var t string
	if err := s.db.QueryRow(ctx, "SELECT tree FROM policy_version_trees WHERE version_id = ?", versionID).Scan(&t); err != nil {
		return nil, database.NotFound("policy.Tree", err)
	}
	return DecodeTree(t)
}

// NewVersion is a version to store: an import, or a copy for a revision.
type NewVersion struct {
	DocumentID    int64
	Status        Status // draft or adopted
	Label         string
	BaseVersionID int64 // for a draft: the version it revises (compare base)
	Tree          *provision.Document
	SourceBlobID  int64
	SourceName    string
	Adoption      Adoption // when Status is adopted
}

// Adoption records a decision to put a version in force.
type Adoption struct {
	EffectiveDate time.Time
	DecidedBy     string
	DecidedDate   time.Time
	Label         string
}

// Validate checks an adoption record (Japanese messages naming the field).
func (a *Adoption) Validate() error {
	a.DecidedBy = strings.TrimSpace(a.DecidedBy)
	a.Label = strings.TrimSpace(a.Label)
	switch {
	case a.EffectiveDate.IsZero():
		return fmt.Errorf("施行日: 入力してください（例: 令和8年4月1日）")
	case a.DecidedBy == "":
		return fmt.Errorf("決定機関: 入力してください（例: ひので区情報セキュリティ委員会決定）")
	case len([]rune(a.DecidedBy)) > 100:
		return fmt.Errorf("決定機関: 100 文字以内で入力してください")
	case a.DecidedDate.IsZero():
		return fmt.Errorf("決定日: 入力してください")
	case a.DecidedDate.After(a.EffectiveDate):
		return fmt.Errorf("決定日: 施行日（%s）より後の日付は指定できません", jp.FormatWareki(a.EffectiveDate))
	case len([]rune(a.Label)) > 100:
		return fmt.Errorf("版の名前: 100 文字以内で入力してください")
	}
	return nil
}

// InputError is a user mistake in a form or an imported text: the message
// is Japanese and names the field or line; nothing was stored.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// CheckTree refuses a tree that cannot be stored as a version: empty, or
// with provisions where the drafting structure does not allow them.
func CheckTree(d *provision.Document) error {
	if d == nil || len(d.Nodes) == 0 {
		return &InputError{Msg: "条・項などの規定が一つもありません。"}
	}
	var err error
	d.Walk(func(n *provision.Node, anc []*provision.Node) bool {
		if err != nil {
			return false
		}
		where := n.Path(anc)
		if where == "" {
			where = n.Heading()
		}
		switch n.Kind {
		case provision.Part, provision.Chapter, provision.Section, provision.Subsection:
			for _, a := range anc {
				if a.Kind >= n.Kind && a.Kind != provision.Supplementary {
					err = &InputError{Msg: fmt.Sprintf("%s: %sの中に%sは置けません。", where, a.Kind, n.Kind)}
				}
			}
		case provision.Article:
			for _, a := range anc {
				if a.Kind == provision.Article || (a.Kind > provision.Article && a.Kind != provision.Supplementary) {
					err = &InputError{Msg: fmt.Sprintf("%s: %sの中に条は置けません。", where, a.Kind)}
				}
			}
			if strings.TrimSpace(n.Text) == "" && len(n.Children) == 0 {
				err = &InputError{Msg: fmt.Sprintf("%s: 条の本文がありません。", where)}
			}
		}
		return true
	})
	return err
}

// CreateVersion stores a version. An adopted version supersedes the
// document's current one in the same transaction.
func (s *Store) CreateVersion(ctx context.Context, nv NewVersion, by Author) (int64, error) {
	defer s.docs.forget()
	if err := CheckTree(nv.Tree); err != nil {
		return 0, err
	}
	if nv.Status != StatusDraft && nv.Status != StatusAdopted {
		return 0, &InputError{Msg: "保存する版の状態は「案」か「施行中」を選んでください。"}
	}
	if nv.Status == StatusAdopted {
		if err := nv.Adoption.Validate(); err != nil {
			return 0, &InputError{Msg: err.Error()}
		}
		if nv.Label == "" {
			nv.Label = nv.Adoption.Label
		}
	}
	nv.Label = strings.TrimSpace(nv.Label)
	if len([]rune(nv.Label)) > 100 {
		return 0, &InputError{Msg: "版の名前: 100 文字以内で入力してください"}
	}
	tree, err := EncodeTree(nv.Tree)
	if err != nil {
		return 0, err
	}
	doc, err := s.Document(ctx, nv.DocumentID)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		now := s.now()
		var err error
		id, err = s.db.InsertID(ctx, `INSERT INTO policy_versions (document_id, status, label, base_version_id, source_blob_id, source_name,
			effective_date, decided_by, decided_date, rev, created_by, created_at, updated_at) VALUES (?, 'draft', ?, ?, ?, ?, '', '', '', 1, ?, ?, ?)`,
			nv.DocumentID, nv.Label, nullID(nv.BaseVersionID), nullID(nv.SourceBlobID), nv.SourceName, nullID(by.ID), database.T(now), database.T(now))
		if err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, "INSERT INTO policy_version_trees (version_id, tree) VALUES (?, ?)", id, tree); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s 版 %d を登録（%s）", doc.Title, id, countArticles(nv.Tree))
		if nv.SourceName != "" {
			detail += " 取込元 " + nv.SourceName
		}
		if err := s.log.Record(ctx, "policy.version_create", fmt.Sprintf("policy_version:%d", id), detail); err != nil {
			return err
		}
		if nv.Status == StatusAdopted {
			return s.adopt(ctx, id, nv.Adoption)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("policy.CreateVersion: %w", err)
	}
	return id, nil
}

// countArticles describes a tree's size: 「51条」 or 「12項目」.
func countArticles(d *provision.Document) string {
	arts, top := 0, 0
	d.Walk(func(n *provision.Node, anc []*provision.Node) bool {
		if n.Kind == provision.Article {
			arts++
		}
		if len(anc) == 0 {
			top++
		}
		return true
	})
	if arts > 0 {
		return fmt.Sprintf("%d条", arts)
	}
	return fmt.Sprintf("%d項目", top)
}

// Adopt puts a draft in force: the document's adopted version becomes
// superseded, all in one transaction with the audit entry.
func (s *Store) Adopt(ctx context.Context, id int64, a Adoption) error {
	defer s.docs.forget()
	if err := a.Validate(); err != nil {
		return &InputError{Msg: err.Error()}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error { return s.adopt(ctx, id, a) })
}

func (s *Store) adopt(ctx context.Context, id int64, a Adoption) error {
	v, err := s.Version(ctx, id)
	if err != nil {
		return err
	}
	// One adoption at a time per document: two at once (PostgreSQL) would
	// both supersede the same old version; read the draft again once the
	// other has finished.
	if err := s.db.LockRow(ctx, "policy_documents", v.DocumentID); err != nil {
		return err
	}
	if v, err = s.Version(ctx, id); err != nil {
		return err
	}
	if v.Status != StatusDraft {
		return &InputError{Msg: fmt.Sprintf("この版は%sです。施行できるのは案だけです。", v.Status.Label())}
	}
	now := database.T(s.now())
	old, had, err := s.AdoptedVersion(ctx, v.DocumentID)
	if err != nil {
		return err
	}
	if had {
		if _, err := s.db.Exec(ctx, "UPDATE policy_versions SET status = 'superseded', superseded_at = ?, updated_at = ? WHERE id = ?", now, now, old.ID); err != nil {
			return err
		}
	}
	label := v.Label
	if a.Label != "" {
		label = a.Label
	}
	if _, err := s.db.Exec(ctx, `UPDATE policy_versions SET status = 'adopted', label = ?, effective_date = ?, decided_by = ?, decided_date = ?, adopted_at = ?,
		updated_at = ?, rev = rev + 1 WHERE id = ?`, label, dateText(a.EffectiveDate), a.DecidedBy, dateText(a.DecidedDate), now, now, id); err != nil {
		return err
	}
	detail := fmt.Sprintf("施行日 %s（%s%s）", jp.FormatWareki(a.EffectiveDate), jp.FormatWareki(a.DecidedDate), a.DecidedBy)
	if had {
		detail += fmt.Sprintf("、版 %d は旧版になりました", old.ID)
	}
	return s.log.Record(ctx, "policy.version_adopt", fmt.Sprintf("policy_version:%d", id), detail)
}

// ErrNoAdopted refuses a revision of a document nothing is in force for.
var ErrNoAdopted = errors.New("施行中の版がありません。先に版を取り込んで施行してください")

// StartRevision copies the adopted version's tree into a new draft that
// has it as its base (「改訂案を作成」).
func (s *Store) StartRevision(ctx context.Context, docID int64, label string, by Author) (int64, error) {
	base, ok, err := s.AdoptedVersion(ctx, docID)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, &InputError{Msg: ErrNoAdopted.Error() + "。"}
	}
	tree, err := s.Tree(ctx, base.ID)
	if err != nil {
		return 0, err
	}
	if strings.TrimSpace(label) == "" {
		label = jp.FiscalYearLabel(jp.FiscalYearOf(s.now())) + "改正案"
	}
	return s.CreateVersion(ctx, NewVersion{DocumentID: docID, Status: StatusDraft, Label: label, BaseVersionID: base.ID, Tree: tree}, by)
}

// DiscardDraft deletes a draft with its changes and quiz (audited).
func (s *Store) DiscardDraft(ctx context.Context, id int64) error {
	defer s.docs.forget()
	v, err := s.Version(ctx, id)
	if err != nil {
		return err
	}
	if v.Status != StatusDraft {
		return &InputError{Msg: "施行中の版と旧版は削除できません。"}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		// Checked again under the draft's lock: it may have been adopted
		// (or discarded) since it was read above.
		if err := s.db.LockRow(ctx, "policy_versions", id); err != nil {
			return err
		}
		if v, err := s.Version(ctx, id); err != nil {
			return err
		} else if v.Status != StatusDraft {
			return &InputError{Msg: "施行中の版と旧版は削除できません。"}
		}
		var n int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM policy_versions WHERE base_version_id = ?", id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &InputError{Msg: "この案をもとにした改正案があるため削除できません。"}
		}
		for _, q := range []string{
			"DELETE FROM policy_quiz_questions WHERE version_id = ?",
			"DELETE FROM policy_change_gaps WHERE change_id IN (SELECT id FROM policy_changes WHERE version_id = ?)",
			"DELETE FROM policy_changes WHERE version_id = ?",
			"DELETE FROM policy_version_trees WHERE version_id = ?",
			"DELETE FROM policy_versions WHERE id = ?",
		} {
			if _, err := s.db.Exec(ctx, q, id); err != nil {
				return fmt.Errorf("policy.DiscardDraft: %w", err)
			}
		}
		return s.log.Record(ctx, "policy.version_discard", fmt.Sprintf("policy_version:%d", id), v.Name())
	})
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
