package org

import (
	"context"
	"fmt"
	"time"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// FiscalYear is one 年度 (1 April – 31 March).
type FiscalYear struct {
	Year      int
	Start     string // YYYY-MM-DD
	End       string
	IsCurrent bool
	Note      string
}

// Label is the 和暦 name, e.g. 令和8年度.
func (f FiscalYear) Label() string { return jp.FiscalYearLabel(f.Year) }

// Period is the year's first and last day in 和暦, e.g.
// 「令和8年4月1日 〜 令和9年3月31日」 (the stored ISO dates as written
// elsewhere in the app).
func (f FiscalYear) Period() string { return warekiDate(f.Start) + " 〜 " + warekiDate(f.End) }

// warekiDate writes a stored YYYY-MM-DD date in 和暦; a value that is not
// a date is shown as stored.
func warekiDate(s string) string {
	t, err := time.ParseInLocation("2006-01-02", s, jp.JST)
	if err != nil {
		return s
	}
	return jp.FormatWareki(t)
}

// FiscalYears lists the registered years, newest first.
func (s *Service) FiscalYears(ctx context.Context) ([]FiscalYear, error) {
	rows, err := s.db.Query(ctx, "SELECT year, start_date, end_date, is_current, note FROM fiscal_years ORDER BY year DESC")
	if err != nil {
		return nil, fmt.Errorf("org.FiscalYears: %w", err)
	}
	defer rows.Close()
	var out []FiscalYear
	for rows.Next() {
		var f FiscalYear
		if err := rows.Scan(&f.Year, &f.Start, &f.End, &f.IsCurrent, &f.Note); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// CurrentFiscalYear returns the year marked current, or the one today falls in.
func (s *Service) CurrentFiscalYear(ctx context.Context) int {
	var y int
	if err := s.db.QueryRow(ctx, "SELECT year FROM fiscal_years WHERE is_current = TRUE").Scan(&y); err == nil {
		return y
	}
	return jp.FiscalYearOf(s.now())
}

// AddFiscalYear registers a year; current makes it the working year.
func (s *Service) AddFiscalYear(ctx context.Context, year int, current bool, note string) error {
	if year < 2000 || year > 2100 {
		return FieldErrors{"year": "年度は 2000〜2100 の西暦か「令和8年度」の形で入力してください。"}
	}
	defer s.InvalidateSiteInfo() // current may change; drop the header's copy after the commit
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		start := jp.FiscalYearStart(year).Format("2006-01-02")
		end := jp.FiscalYearEnd(year).Format("2006-01-02")
		_, err := s.db.Exec(ctx, "INSERT INTO fiscal_years (year, start_date, end_date, is_current, note, created_at) VALUES (?, ?, ?, FALSE, ?, ?)",
			year, start, end, note, database.T(s.now()))
		if database.IsUniqueViolation(err) {
			return FieldErrors{"year": jp.FiscalYearLabel(year) + "は既に登録されています。"}
		}
		if err != nil {
			return fmt.Errorf("org.AddFiscalYear: %w", err)
		}
		if err := s.log.Record(ctx, "fiscal_year.create", fmt.Sprintf("fiscal_year:%d", year), jp.FiscalYearLabel(year)); err != nil {
			return err
		}
		if current {
			return s.SetCurrentFiscalYear(ctx, year)
		}
		return nil
	})
}

// SetCurrentFiscalYear makes year the working year.
func (s *Service) SetCurrentFiscalYear(ctx context.Context, year int) error {
	defer s.InvalidateSiteInfo() // after the commit, so no page re-reads the old year
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		var n int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM fiscal_years WHERE year = ?", year).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("org.SetCurrentFiscalYear %d: %w", year, database.ErrNotFound)
		}
		if _, err := s.db.Exec(ctx, "UPDATE fiscal_years SET is_current = (year = ?)", year); err != nil {
			return fmt.Errorf("org.SetCurrentFiscalYear: %w", err)
		}
		return s.log.Record(ctx, "fiscal_year.current", fmt.Sprintf("fiscal_year:%d", year), jp.FiscalYearLabel(year)+"を現在の年度に設定")
	})
}
