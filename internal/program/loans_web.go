package program

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/web"
)

func (m *Module) loanRoutes(rt *web.Router) {
	read, manage := readers.Rule(), Managers.Rule()
	loan := web.AnyObject("program.loan", func(ctx context.Context, id int64) error {
		_, err := m.store.Loan(ctx, id)
		return err
	})
	rt.Handle("GET /program/loans", read, m.loans)
	rt.Handle("POST /program/loans", manage, m.loanAdd)
	rt.Handle("POST /program/loans/{id}/close", manage.On(loan), m.loanClose)
	rt.Handle("GET /program/loans/register", read, m.loansDoc)
}

type loansView struct {
	FiscalYear int
	Years      []int
	Loans      []Loan
	Open       int
	DueSoon    int
	End        string
	Manage     bool
	In         LoanInput
	Errors     FieldErrors
	Kinds      []string
}

func (m *Module) loans(w http.ResponseWriter, r *http.Request) error {
	return m.renderLoans(w, r, m.yearOf(r), nil, nil, http.StatusOK)
}

func (m *Module) renderLoans(w http.ResponseWriter, r *http.Request, fy int, in *LoanInput, fe FieldErrors, status int) error {
	ls, err := m.store.Loans(r.Context(), fy)
	if err != nil {
		return err
	}
	now := m.store.now()
	v := loansView{FiscalYear: fy, Years: []int{fy + 1, fy, fy - 1}, Loans: ls, End: jp.FormatWareki(ContractEnd(fy)), Manage: Managers.HasUser(web.UserFrom(r.Context())),
		Errors: fe, Kinds: LoanKinds, In: LoanInput{ReceivedOn: jp.DateKey(now), Kind: LoanKinds[0]}}
	for _, l := range ls {
		if l.Open() {
			v.Open++
		}
		if l.DueSoon(now) {
			v.DueSoon++
		}
	}
	if in != nil {
		v.In = *in
	}
	return web.Render(w, r, status, "program/program_loans", jp.FiscalYearLabel(fy)+"の貸与資料", v)
}

func (m *Module) loanAdd(w http.ResponseWriter, r *http.Request) error {
	fy := postYear(m, r)
	in := LoanInput{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Quantity: r.PostFormValue("quantity"), Lender: r.PostFormValue("lender"),
		ReceivedOn: r.PostFormValue("received_on"), ReceivedBy: r.PostFormValue("received_by"), KeptAt: r.PostFormValue("kept_at")}
	err := m.store.AddLoan(r.Context(), fy, in, userName(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderLoans(w, r, fy, &in, fe, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/program/loans?year=%d", fy), "貸与資料を記録しました。", true)
}

func (m *Module) loanClose(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	l, err := m.store.Loan(r.Context(), id)
	if err != nil {
		return err
	}
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	err = m.store.CloseLoan(r.Context(), l, r.PostFormValue("state"), r.PostFormValue("on"), r.PostFormValue("note"), rev, userName(r))
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		return m.renderLoans(w, r, l.FiscalYear, nil, fe, http.StatusUnprocessableEntity)
	case errors.Is(err, ErrStale):
		return m.renderLoans(w, r, l.FiscalYear, nil, FieldErrors{"title": "この資料は既に返却・廃棄を記録しています（または他の人が先に更新しました）。"}, http.StatusConflict)
	case err != nil:
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/program/loans?year=%d", l.FiscalYear), "返却・廃棄を記録しました。", true)
}

func (m *Module) loansDoc(w http.ResponseWriter, r *http.Request) error {
	f, err := formats.Parse(r.URL.Query().Get("format"), "pdf", "xlsx", "docx")
	if err != nil {
		return web.Invalid("出力形式は pdf・xlsx・docx のいずれかを指定してください。")
	}
	fy := m.yearOf(r)
	ls, err := m.store.Loans(r.Context(), fy)
	if err != nil {
		return err
	}
	doc := LoansDocument(fy, ls, m.d.Org.WardName(r.Context()), m.store.now())
	dl := web.Download{Name: web.JoinFileName(f.Name, "貸与資料管理簿", jp.FiscalYearLabel(fy)), ContentType: f.ContentType, Target: fmt.Sprintf("program_year:%d", fy),
		Detail: fmt.Sprintf("%sの貸与資料管理簿（%s、%d 件）", jp.FiscalYearLabel(fy), f.Label, len(ls))}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
}
