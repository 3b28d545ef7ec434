package program

// Destruction at contract end (seed §4): `mamori shred --year 2026`
// destroys the keys of every file the contractor gathered in the year —
// each audit engagement's evidence, each incident's evidence — through the
// modules' module.Shredder, after binding the year's deliverables (the
// bound set handed to the ward is kept and is not affected). It then tries
// every file again to prove none decrypts, and records what was destroyed,
// how, when and by whom, with hashes, for the destruction certificate
// (消去証明書).

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"mamori/internal/database"
	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/module"
)

// ShredMethod is how the files are destroyed, as the certificate says.
const ShredMethod = "暗号化消去（各ファイルは対象ごとの暗号鍵（AES-256-GCM、256ビット）で暗号化して保管しており、その暗号鍵をデータベースから消去した。" +
	"暗号化されたファイルの複製（バックアップを含む。）は、鍵がないため復号できない。）"

// ShredRecord is one destruction as recorded.
type ShredRecord struct {
	ID         int64         `json:"-"`
	FiscalYear int           `json:"fiscal_year"`
	Scope      string        `json:"scope"` // "" the whole year, or an object's code
	By         string        `json:"by"`
	At         time.Time     `json:"at"`
	Method     string        `json:"method"`
	Sets       []ShreddedSet `json:"sets"`
	Binder     *ShredBinder  `json:"binder,omitempty"`
	Checked    int           `json:"checked"`  // files tried after destruction
	Readable   int           `json:"readable"` // of them, still decrypting (must be 0)
}

// ShreddedSet is one object whose key was destroyed.
type ShreddedSet struct {
	Module    string             `json:"module"`
	Code      string             `json:"code"`
	Title     string             `json:"title"`
	Files     []module.ShredFile `json:"files"`
	Earlier   bool               `json:"earlier,omitempty"` // the key had been destroyed before
	Readable  int                `json:"readable"`
	Destroyed time.Time          `json:"destroyed"`
}

// ShredBinder is the bound set exported before destruction.
type ShredBinder struct {
	ID     int64  `json:"id"`
	Items  int    `json:"items"`
	PDFSHA string `json:"pdf_sha256"`
	ZIPSHA string `json:"zip_sha256"`
}

// ScopeLabel is what was destroyed, in words.
func (r ShredRecord) ScopeLabel() string {
	if r.Scope == "" {
		return jp.FiscalYearLabel(r.FiscalYear) + "の全体"
	}
	return jp.FiscalYearLabel(r.FiscalYear) + "の " + r.Scope
}

// Files counts the files destroyed.
func (r ShredRecord) Files() int {
	n := 0
	for _, s := range r.Sets {
		n += len(s.Files)
	}
	return n
}

// ShredError is a destruction refused: nothing was changed.
type ShredError struct{ Msg string }

func (e *ShredError) Error() string { return e.Msg }

func refuse(format string, a ...any) error { return &ShredError{Msg: fmt.Sprintf(format, a...)} }

// ShredPlan is what a destruction would destroy.
type ShredPlan struct {
	FiscalYear int
	Scope      string
	Sets       []PlannedSet
}

// PlannedSet is one set to destroy with the module that keeps it.
type PlannedSet struct {
	module.NamedShredder
	module.ShredSet
}

// PlanShred gathers what destroying fiscal year fy (or only the object
// with code scope) would destroy, refusing what must not be destroyed: a
// year that has not ended (for the whole year), an object whose work is
// not finished, a code that does not exist, nothing to destroy.
func (s *Store) PlanShred(ctx context.Context, fy int, scope string, shredders []module.NamedShredder) (ShredPlan, error) {
	p := ShredPlan{FiscalYear: fy, Scope: strings.TrimSpace(scope)}
	now := s.now()
	if p.Scope == "" && now.Before(jp.FiscalYearStart(fy+1)) {
		return p, refuse("%sはまだ終わっていません（%sまで）。年度の途中で年度全体は消去できません。終わった監査だけを消去するときは --engagement に監査の番号を指定してください。",
			jp.FiscalYearLabel(fy), jp.FormatWareki(jp.FiscalYearEnd(fy)))
	}
	var open []string
	for _, sh := range shredders {
		sets, err := sh.ShredSets(ctx, fy)
		if err != nil {
			return p, fmt.Errorf("%s: %w", sh.Label, err)
		}
		for _, set := range sets {
			if p.Scope != "" && set.Code != p.Scope {
				continue
			}
			if len(set.Files) == 0 && set.Destroyed.IsZero() {
				continue
			}
			if set.Open != "" && set.Destroyed.IsZero() {
				open = append(open, fmt.Sprintf("%s %s：%s", set.Code, set.Title, set.Open))
				continue
			}
			p.Sets = append(p.Sets, PlannedSet{sh, set})
		}
	}
	if len(open) > 0 {
		return p, refuse("次の対象は作業が終わっていないため消去できません。何も消去していません。\n  %s", strings.Join(open, "\n  "))
	}
	if len(p.Sets) == 0 {
		if p.Scope != "" {
			return p, refuse("%sに「%s」の証跡はありません（監査・インシデントの番号を確かめてください）。何も消去していません。", jp.FiscalYearLabel(fy), p.Scope)
		}
		return p, refuse("%sに消去する証跡はありません。何も消去していません。", jp.FiscalYearLabel(fy))
	}
	return p, nil
}

// Shred carries out plan: the year's deliverables are bound first (bind,
// kept and not affected), then every key is destroyed in one transaction,
// then every file is tried again; a file that still decrypts makes it an
// error (the record keeps it). confirm must be the fiscal year's label
// (令和8年度) or, for one object, its code.
func (s *Store) Shred(ctx context.Context, plan ShredPlan, confirm, by string, bind func(ctx context.Context) (Binder, error), blobSHA func(ctx context.Context, id int64) (string, error)) (ShredRecord, error) {
	want := jp.FiscalYearLabel(plan.FiscalYear)
	if plan.Scope != "" {
		want = plan.Scope
	}
	if strings.TrimSpace(confirm) != want {
		return ShredRecord{}, refuse("確認のため --confirm に「%s」と入力してください（消去した証跡は二度と読み出せません）。何も消去していません。", want)
	}
	if strings.TrimSpace(by) == "" {
		return ShredRecord{}, refuse("消去証明書に記す実施者を --by に入力してください（例：--by \"支援事業者 情報太郎\"）。何も消去していません。")
	}
	rec := ShredRecord{FiscalYear: plan.FiscalYear, Scope: plan.Scope, By: strings.TrimSpace(by), Method: ShredMethod}
	b, err := bind(ctx)
	if err != nil && !errors.Is(err, ErrNothingToBind) {
		return rec, fmt.Errorf("消去の前の製本: %w", err)
	}
	if err == nil {
		rec.Binder = &ShredBinder{ID: b.ID, Items: b.Items}
		if rec.Binder.PDFSHA, err = blobSHA(ctx, b.PDFBlob); err != nil {
			return rec, err
		}
		if rec.Binder.ZIPSHA, err = blobSHA(ctx, b.ZIPBlob); err != nil {
			return rec, err
		}
	}
	rec.At = s.now()
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		for _, x := range plan.Sets {
			if err := x.DestroyKeys(ctx, []string{x.Ref}); err != nil {
				return fmt.Errorf("%s %s: %w", x.Label, x.Code, err)
			}
		}
		return nil
	})
	if err != nil {
		return rec, fmt.Errorf("program.Shred: %w", err)
	}
	for _, x := range plan.Sets {
		n, err := x.Readable(ctx, x.Ref)
		if err != nil {
			return rec, err
		}
		set := ShreddedSet{Module: x.Label, Code: x.Code, Title: x.Title, Files: x.Files, Earlier: !x.Destroyed.IsZero(), Readable: n, Destroyed: x.Destroyed}
		if set.Destroyed.IsZero() {
			set.Destroyed = rec.At
		}
		rec.Checked += len(x.Files)
		rec.Readable += n
		rec.Sets = append(rec.Sets, set)
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return rec, err
	}
	var binder any
	if rec.Binder != nil {
		binder = rec.Binder.ID
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if rec.ID, err = s.db.InsertID(ctx, `INSERT INTO program_shreds (fiscal_year, scope, binder_id, record, by_name, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			rec.FiscalYear, rec.Scope, binder, string(data), rec.By, database.T(rec.At)); err != nil {
			return err
		}
		return s.log.Record(ctx, "program.shred", fmt.Sprintf("program_year:%d", rec.FiscalYear),
			fmt.Sprintf("%sの証跡を消去（%d 対象・%d ファイル、消去後に復号できたファイル %d、実施者 %s）", rec.ScopeLabel(), len(rec.Sets), rec.Files(), rec.Readable, rec.By))
	})
	if err != nil {
		return rec, fmt.Errorf("program.Shred: %w", err)
	}
	if rec.Readable > 0 {
		return rec, fmt.Errorf("消去の後も %d ファイルが復号できました。消去証明書を発行せず、管理者に連絡してください", rec.Readable)
	}
	return rec, nil
}

// Shreds are fiscal year fy's destructions, newest first.
func (s *Store) Shreds(ctx context.Context, fy int) ([]ShredRecord, error) {
	rows, err := s.db.Query(ctx, "SELECT id, record FROM program_shreds WHERE fiscal_year = ? ORDER BY id DESC", fy)
	if err != nil {
		return nil, fmt.Errorf("program.Shreds: %w", err)
	}
	defer rows.Close()
	var out []ShredRecord
	for rows.Next() {
		var rec ShredRecord
		var data string
		if err := rows.Scan(&rec.ID, &data); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &rec); err != nil {
			return nil, fmt.Errorf("program.Shreds %d: %w", rec.ID, err)
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

// ShredByID is one destruction; a missing one is database.ErrNotFound.
func (s *Store) ShredByID(ctx context.Context, id int64) (ShredRecord, error) {
	var rec ShredRecord
	var data string
	err := s.db.QueryRow(ctx, "SELECT id, record FROM program_shreds WHERE id = ?", id).Scan(&rec.ID, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return rec, database.ErrNotFound
	}
	if err != nil {
		return rec, err
	}
	return rec, json.Unmarshal([]byte(data), &rec)
}

// CertificateDocument is the destruction certificate (消去証明書).
func CertificateDocument(rec ShredRecord, ward string) *docgen.Document {
	b := []docgen.Block{
		docgen.Paragraph{Runs: []docgen.Run{docgen.T(jp.FormatWareki(rec.At))}, Align: docgen.AlignRight},
		docgen.Heading{Level: 1, Text: "消去証明書", NoTOC: true},
		docgen.Paragraph{Runs: []docgen.Run{docgen.T(ward + "長　様")}},
		docgen.Paragraph{Runs: []docgen.Run{docgen.T("支援事業者　実施者 " + rec.By)}, Align: docgen.AlignRight},
		docgen.P(fmt.Sprintf("%sの情報セキュリティ対策支援業務において当社が取得し、又は作成した次の情報（複製及びバックアップを含む。）を、下記の方法により復元できない状態としたことを証明します。なお、貴区に納品した成果物（製本及び電子データ）は消去の対象外です。",
			jp.FiscalYearLabel(rec.FiscalYear))),
		docgen.Paragraph{Runs: []docgen.Run{docgen.T("記")}, Align: docgen.AlignCenter},
		docgen.FactsTable(
			[2]string{"消去の範囲", rec.ScopeLabel()},
			[2]string{"消去の日時", jp.FormatWarekiDateTime(rec.At)},
			[2]string{"実施者", rec.By},
			[2]string{"消去の方法", rec.Method},
			[2]string{"消去の確認", fmt.Sprintf("消去の後、対象の全 %d ファイルについて復号を試み、復号できたファイルが %d 件であることを確認した。", rec.Checked, rec.Readable)},
			[2]string{"対象の件数", fmt.Sprintf("%d 件（ファイル %d 件）", len(rec.Sets), rec.Files())}),
		docgen.Heading{Level: 2, Text: "1 消去した情報"},
	}
	t := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 1.2}, {Width: 2.6}, {Width: 0.8}, {Width: 1.8}},
		Rows: []docgen.Row{docgen.HeadRow("業務・番号", "対象", "ファイル", "鍵の消去")}}
	for _, set := range rec.Sets {
		when := jp.FormatWarekiDateTime(set.Destroyed)
		if set.Earlier {
			when += "（以前に消去済み）"
		}
		t.Rows = append(t.Rows, docgen.TextRow(set.Module+"\n"+set.Code, set.Title, fmt.Sprintf("%d 件", len(set.Files)), when))
	}
	b = append(b, t, docgen.Heading{Level: 2, Text: "2 ファイルの一覧"},
		docgen.P("各ファイルの SHA-256 は、暗号化する前のファイルのハッシュ値です。区が保有する原本との照合に使えます。"))
	ft := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 0.9}, {Width: 1.8}, {Width: 1.2}, {Width: 0.7}, {Width: 3.6}},
		Rows: []docgen.Row{docgen.HeadRow("番号", "ファイル名", "種類", "サイズ", "SHA-256")}}
	for _, set := range rec.Sets {
		for _, f := range set.Files {
			ft.Rows = append(ft.Rows, docgen.TextRow(set.Code, f.Name, f.Kind, jp.FormatSize(f.Size), f.SHA256))
		}
	}
	b = append(b, ft)
	if rec.Binder != nil {
		b = append(b, docgen.Heading{Level: 2, Text: "3 消去の前に納品した成果物（消去の対象外）"},
			docgen.FactsTable(
				[2]string{"製本 PDF", fmt.Sprintf("成果物 %d 件　SHA-256 %s", rec.Binder.Items, rec.Binder.PDFSHA)},
				[2]string{"電子データ", "ZIP　SHA-256 " + rec.Binder.ZIPSHA}))
	}
	b = append(b, docgen.Paragraph{Runs: []docgen.Run{docgen.T("以上")}, Align: docgen.AlignRight})
	return &docgen.Document{Meta: docgen.Meta{Title: "消去証明書", Subtitle: rec.ScopeLabel(), Ward: ward, FiscalYear: rec.FiscalYear, Date: rec.At,
		Author: "支援事業者", Classification: "取扱注意", PageNumbers: docgen.PageDash, TitleInBody: true}, Sections: []docgen.Section{{Blocks: b}}}
}
