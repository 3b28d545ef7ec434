package program

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/docgen"
	"mamori/internal/jp"
)

// Kinds of lent material.
var LoanKinds = []string{"紙", "電子媒体（USBメモリ・DVD 等）", "電子ファイル"}

// Loan states.
const (
	LoanLent      = "lent"      // 貸与中
	LoanReturned  = "returned"  // 返却済
	LoanDestroyed = "destroyed" // 廃棄済（区の指示による）
)

var loanLabels = map[string]string{LoanLent: "貸与中", LoanReturned: "返却済", LoanDestroyed: "廃棄済"}

// remindDays is how long before the contract's end unreturned material is
// flagged.
const remindDays = 60

// Loan is one material the ward lent (貸与資料).
type Loan struct {
	ID         int64
	FiscalYear int
	Name       string
	Kind       string
	Quantity   string
	Lender     string // the department that lent it
	ReceivedOn time.Time
	ReceivedBy string
	KeptAt     string
	State      string
	ClosedOn   time.Time
	ClosedNote string // how it was returned or destroyed, the receipt
	Rev        int64
}

// StateLabel is the state in Japanese.
func (l Loan) StateLabel() string { return loanLabels[l.State] }

// Open reports whether the material is still with the contractor.
func (l Loan) Open() bool { return l.State == LoanLent }

// ContractEnd is the end of the contract of fiscal year fy (the year's
// last day: the support contract runs for the fiscal year).
func ContractEnd(fy int) time.Time { return jp.FiscalYearEnd(fy) }

// DueSoon reports whether the material must go back within remindDays of
// the contract's end, at now.
func (l Loan) DueSoon(now time.Time) bool {
	return l.Open() && !now.Before(ContractEnd(l.FiscalYear).AddDate(0, 0, -remindDays))
}

const loanCols = "id, fiscal_year, name, kind, quantity, lender, received_on, received_by, kept_at, state, closed_on, closed_note, rev"

func scanLoan(sc interface{ Scan(...any) error }) (Loan, error) {
	var l Loan
	var rec, closed string
	err := sc.Scan(&l.ID, &l.FiscalYear, &l.Name, &l.Kind, &l.Quantity, &l.Lender, &rec, &l.ReceivedBy, &l.KeptAt, &l.State, &closed, &l.ClosedNote, &l.Rev)
	l.ReceivedOn, l.ClosedOn = jp.ParseDateKey(rec), jp.ParseDateKey(closed)
	return l, err
}

// Loans lists fiscal year fy's lent materials, those still lent first.
func (s *Store) Loans(ctx context.Context, fy int) ([]Loan, error) {
	rows, err := s.db.Query(ctx, "SELECT "+loanCols+" FROM program_loans WHERE fiscal_year = ? ORDER BY CASE state WHEN 'lent' THEN 0 ELSE 1 END, received_on, id", fy)
	if err != nil {
		return nil, fmt.Errorf("program.Loans: %w", err)
	}
	defer rows.Close()
	var out []Loan
	for rows.Next() {
		l, err := scanLoan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Loan returns one lent material.
func (s *Store) Loan(ctx context.Context, id int64) (Loan, error) {
	l, err := scanLoan(s.db.QueryRow(ctx, "SELECT "+loanCols+" FROM program_loans WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return l, database.ErrNotFound
	}
	return l, err
}

// LoanInput is the loan form as typed.
type LoanInput struct {
	Name, Kind, Quantity, Lender, ReceivedOn, ReceivedBy, KeptAt string
}

// AddLoan records a material the ward lent.
func (s *Store) AddLoan(ctx context.Context, fy int, in LoanInput, by string) error {
	fe := FieldErrors{}
	l := Loan{Name: strings.TrimSpace(in.Name), Kind: strings.TrimSpace(in.Kind), Quantity: strings.TrimSpace(in.Quantity), Lender: strings.TrimSpace(in.Lender),
		ReceivedBy: strings.TrimSpace(in.ReceivedBy), KeptAt: strings.TrimSpace(in.KeptAt)}
	if l.Name == "" || utf8.RuneCountInString(l.Name) > 300 {
		fe["title"] = "資料の名前を300文字以内で入力してください。"
	}
	valid := false
	for _, k := range LoanKinds {
		valid = valid || k == l.Kind
	}
	if !valid {
		fe["workstream"] = "資料の種類を選んでください。"
	}
	l.ReceivedOn = parseDay("start", "受領日", in.ReceivedOn, fe)
	if fe["start"] == "" && (l.ReceivedOn.IsZero() || jp.FiscalYearOf(l.ReceivedOn) != fy) {
		fe["start"] = fmt.Sprintf("受領日を%sの日付で入力してください。", jp.FiscalYearLabel(fy))
	}
	if l.KeptAt == "" {
		fe["owner"] = "保管場所（施錠できる場所、暗号化した保存先など）を入力してください。"
	}
	for _, v := range []string{l.Quantity, l.Lender, l.ReceivedBy, l.KeptAt} {
		if utf8.RuneCountInString(v) > 300 {
			fe["note"] = "各欄は300文字以内で入力してください。"
		}
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		id, err := s.db.InsertID(ctx, `INSERT INTO program_loans (fiscal_year, name, kind, quantity, lender, received_on, received_by, kept_at, state, rev,
			updated_by_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'lent', 1, ?, ?, ?)`,
			fy, l.Name, l.Kind, l.Quantity, l.Lender, jp.DateKey(l.ReceivedOn), l.ReceivedBy, l.KeptAt, by, now, now)
		if err != nil {
			return fmt.Errorf("program.AddLoan: %w", err)
		}
		return s.log.Record(ctx, "program.loan", fmt.Sprintf("program_loan:%d", id), fmt.Sprintf("貸与資料「%s」（%s、%s）を受領", cut(l.Name, 60), l.Kind, or(l.Lender, "貸与元未記入")))
	})
}

// CloseLoan records a material returned or destroyed, with how (the
// receipt number, the method of destruction); a material closed once is
// not closed again.
func (s *Store) CloseLoan(ctx context.Context, l Loan, state, on, note string, rev int64, by string) error {
	fe := FieldErrors{}
	if state != LoanReturned && state != LoanDestroyed {
		fe["workstream"] = "返却か廃棄かを選んでください。"
	}
	d := parseDay("end", "返却・廃棄の日", on, fe)
	if fe["end"] == "" && (d.IsZero() || d.Before(l.ReceivedOn)) {
		fe["end"] = "返却・廃棄の日を受領日以降の日付で入力してください。"
	}
	note = strings.TrimSpace(note)
	if note == "" {
		fe["note"] = "受領書の番号や返却先、廃棄の方法（裁断・溶解・データ消去など）を記録してください。"
	} else if utf8.RuneCountInString(note) > 1000 {
		fe["note"] = "記録は1,000文字以内で入力してください。"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, `UPDATE program_loans SET state = ?, closed_on = ?, closed_note = ?, rev = rev + 1, updated_by_name = ?, updated_at = ?
			WHERE id = ? AND rev = ? AND state = 'lent'`, state, jp.DateKey(d), note, by, database.T(s.now()), l.ID, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrStale
		}
		return s.log.Record(ctx, "program.loan_close", fmt.Sprintf("program_loan:%d", l.ID), fmt.Sprintf("貸与資料「%s」を%s（%s）：%s", cut(l.Name, 60), loanLabels[state], jp.FormatWareki(d), cut(note, 80)))
	})
}

// LoansDocument is the 貸与資料管理簿.
func LoansDocument(fy int, ls []Loan, ward string, now time.Time) *docgen.Document {
	t := docgen.Table{HeaderRows: 1, FontSize: 8.5, Columns: []docgen.Column{{Width: 0.4, Align: docgen.AlignCenter}, {Width: 2.6}, {Width: 1.2}, {Width: 0.8},
		{Width: 1.2}, {Width: 1.1}, {Width: 1.6}, {Width: 0.8, Align: docgen.AlignCenter}, {Width: 2.4}},
		Rows: []docgen.Row{docgen.HeadRow("No.", "資料", "種類", "数量", "貸与元", "受領日", "保管場所", "状況", "返却・廃棄の記録")}}
	open := 0
	for i, l := range ls {
		rec := ""
		if !l.ClosedOn.IsZero() {
			rec = jp.FormatWareki(l.ClosedOn) + " " + l.ClosedNote
		}
		if l.Open() {
			open++
		}
		t.Rows = append(t.Rows, docgen.TextRow(fmt.Sprint(i+1), l.Name, l.Kind, dash(l.Quantity), dash(l.Lender), jp.FormatWareki(l.ReceivedOn), l.KeptAt, l.StateLabel(), dash(rec)))
	}
	if len(ls) == 0 {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("貸与を受けた資料はありません。")}, ColSpan: 9}}})
	}
	b := []docgen.Block{docgen.P(fmt.Sprintf("%s現在、貸与を受けた資料 %d 件のうち、貸与中は %d 件である。契約の終了（%s）までにすべて返却又は区の指示により廃棄する。",
		jp.FormatWareki(now), len(ls), open, jp.FormatWareki(ContractEnd(fy)))), t}
	return &docgen.Document{Meta: docgen.Meta{Title: "貸与資料管理簿", Subtitle: jp.FiscalYearLabel(fy) + " 情報セキュリティ対策支援業務", Ward: ward, FiscalYear: fy,
		Date: now, Author: "支援事業者", Classification: "取扱注意", PageNumbers: docgen.PageDash}, Sections: []docgen.Section{{Orientation: docgen.Landscape, Blocks: b}}}
}
