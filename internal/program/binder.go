package program

// The bound set (製本) made from the deliverables register in the
// background: every module's deliverables of the year built, bound into
// one print-ready PDF and rendered into the electronic set's ZIP
// (module.WriteBoundSet, as `mamori binder` does), kept in the blob store
// so that it can be downloaded later and handed over before destruction
// at contract end.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"mamori/internal/blob"
	"mamori/internal/database"
	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/web"
)

// BinderSubtitle is what the cover of the bound set says it is.
const BinderSubtitle = "情報セキュリティ対策支援業務"

// Binder is one bound set kept.
type Binder struct {
	ID         int64
	FiscalYear int
	Items      int
	Titles     []string
	PDFBlob    int64
	ZIPBlob    int64
	By         string
	At         time.Time
}

// ErrNothingToBind means the year has no deliverables yet.
var ErrNothingToBind = errors.New("この年度の成果物はまだありません。製本するものがありません。")

// Bind builds fiscal year fy's bound set from list (every module's
// deliverables), stores both files and records the set. progress (may be
// nil) is told of each step.
func (s *Store) Bind(ctx context.Context, fy int, ward string, list func(context.Context, int) ([]module.YearDeliverable, error), blobs *blob.Store,
	by string, progress func(done, total int, msg string)) (Binder, error) {
	if progress == nil {
		progress = func(int, int, string) {}
	}
	if list == nil {
		return Binder{}, ErrNothingToBind
	}
	ds, err := list(ctx, fy)
	if err != nil {
		return Binder{}, err
	}
	if len(ds) == 0 {
		return Binder{}, ErrNothingToBind
	}
	items, err := module.BoundItems(ctx, ds, func(i int, title string) { progress(i, 2*len(ds), "作成中："+title) })
	if err != nil {
		return Binder{}, err
	}
	now := s.now()
	meta := docgen.Meta{Title: "成果物一式", Subtitle: BinderSubtitle, Ward: ward, FiscalYear: fy, Date: now, PageNumbers: docgen.PageDash}
	steps, done := module.BoundSteps(items), 0
	var pdf, zip bytes.Buffer
	if err := module.WriteBoundSet(&pdf, &zip, meta, items, now, func(name string) {
		done++
		progress(len(ds)+done*len(ds)/steps, 2*len(ds), "出力中："+name)
	}); err != nil {
		return Binder{}, err
	}
	b := Binder{FiscalYear: fy, Items: len(items), By: by, At: now}
	for _, it := range items {
		b.Titles = append(b.Titles, it.Doc.Meta.Title)
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		name := jp.FiscalYearLabel(fy) + "_成果物一式"
		pb, err := blobs.Put(ctx, name+"_製本.pdf", "application/pdf", pdf.Bytes(), 0)
		if err != nil {
			return err
		}
		zb, err := blobs.Put(ctx, name+"_電子データ.zip", "application/zip", zip.Bytes(), 0)
		if err != nil {
			return err
		}
		b.PDFBlob, b.ZIPBlob = pb.ID, zb.ID
		if b.ID, err = s.db.InsertID(ctx, `INSERT INTO program_binders (fiscal_year, items, titles, pdf_blob, zip_blob, created_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, fy, b.Items, strings.Join(b.Titles, "\n"), b.PDFBlob, b.ZIPBlob, by, database.T(now)); err != nil {
			return err
		}
		return s.log.Record(ctx, "program.bind", fmt.Sprintf("program_year:%d", fy),
			fmt.Sprintf("%sの成果物一式を製本（%d 件、製本 PDF %d バイト、電子データ %d バイト）", jp.FiscalYearLabel(fy), b.Items, pdf.Len(), zip.Len()))
	})
	if err != nil {
		return Binder{}, fmt.Errorf("program.Bind: %w", err)
	}
	progress(2*len(ds), 2*len(ds), "製本しました")
	return b, nil
}

const binderCols = "id, fiscal_year, items, titles, pdf_blob, zip_blob, created_by_name, created_at"

func scanBinder(sc interface{ Scan(...any) error }) (Binder, error) {
	var b Binder
	var titles string
	var at database.Time
	err := sc.Scan(&b.ID, &b.FiscalYear, &b.Items, &titles, &b.PDFBlob, &b.ZIPBlob, &b.By, &at)
	b.At = at.Time
	if titles != "" {
		b.Titles = strings.Split(titles, "\n")
	}
	return b, err
}

// Binders are fiscal year fy's bound sets, newest first.
func (s *Store) Binders(ctx context.Context, fy int) ([]Binder, error) {
	rows, err := s.db.Query(ctx, "SELECT "+binderCols+" FROM program_binders WHERE fiscal_year = ? ORDER BY id DESC", fy)
	if err != nil {
		return nil, fmt.Errorf("program.Binders: %w", err)
	}
	defer rows.Close()
	var out []Binder
	for rows.Next() {
		b, err := scanBinder(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BinderByID is one bound set; a missing one is database.ErrNotFound.
func (s *Store) BinderByID(ctx context.Context, id int64) (Binder, error) {
	b, err := scanBinder(s.db.QueryRow(ctx, "SELECT "+binderCols+" FROM program_binders WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return b, database.ErrNotFound
	}
	return b, err
}

// bind starts the bound set of the posted year as a background job and
// sends the user to its progress page.
func (m *Module) bind(w http.ResponseWriter, r *http.Request) error {
	// The year is the form's, never a default: binding is minutes of work.
	fy, err := jp.ParseFiscalYear(r.PostFormValue("year"))
	if err != nil || fy < 2000 || fy > 2100 {
		return web.Invalid("製本する年度を指定してください。")
	}
	ctx := r.Context()
	ds, err := m.d.YearDeliverables(ctx, fy)
	if err != nil {
		return err
	}
	if len(ds) == 0 {
		return web.Redirect(w, r, fmt.Sprintf("/program/deliverables?year=%d", fy), ErrNothingToBind.Error(), false)
	}
	by, ward := userName(r), m.d.Org.WardName(ctx)
	id, err := m.d.Jobs.Start(ctx, "program.bind", fmt.Sprintf("/program/deliverables?year=%d#binders", fy), 2*len(ds),
		func(jctx context.Context, progress func(int, int, string)) (string, error) {
			b, err := m.store.Bind(jctx, fy, ward, m.d.YearDeliverables, m.d.Blobs, by, progress)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%sの成果物 %d 件を製本しました。成果物の管理の画面からダウンロードできます。", jp.FiscalYearLabel(fy), b.Items), nil
		})
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/jobs/%d", id), "製本を始めました。", true)
}

// binderFile sends a kept bound set's PDF, or its ZIP (?file=zip).
func (m *Module) binderFile(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	b, err := m.store.BinderByID(r.Context(), id)
	if err != nil {
		return err
	}
	blobID, kind := b.PDFBlob, "製本 PDF"
	switch r.URL.Query().Get("file") {
	case "zip":
		blobID, kind = b.ZIPBlob, "電子データ ZIP"
	case "", "pdf":
	default:
		return web.Invalid("ファイルは pdf か zip を指定してください。")
	}
	meta, data, err := m.d.Blobs.Get(r.Context(), blobID)
	if err != nil {
		return err
	}
	dl := web.Download{Name: meta.Filename, ContentType: meta.ContentType, Target: fmt.Sprintf("program_year:%d", b.FiscalYear),
		Detail: fmt.Sprintf("%sの成果物一式の%s（%s 製本、%d 件）", jp.FiscalYearLabel(b.FiscalYear), kind, jp.FormatWarekiDateTime(b.At), b.Items)}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { _, err := out.Write(data); return err })
}
