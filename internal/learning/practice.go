package learning

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"mamori/internal/database"
)

// The practice audit of the internal-auditor training: a fictional
// department with documents, site photos and interview notes in which
// problems are planted (content/learning/<year>/practice.yaml); trainees
// judge the checklist items and write findings; their work is compared
// with the model answer.

// Practice is one practice audit as the content file writes it.
type Practice struct {
	Code       string `yaml:"code"`
	FiscalYear int    `yaml:"fiscal_year"`
	Title      string `yaml:"title"`
	Department struct {
		Name    string `yaml:"name"`
		Summary string `yaml:"summary"`
	} `yaml:"department"`
	Briefing  string   `yaml:"briefing"`
	Items     []string `yaml:"items"`
	Documents []struct {
		Code  string     `yaml:"code"`
		Title string     `yaml:"title"`
		Body  string     `yaml:"body"`
		Table [][]string `yaml:"table"`
	} `yaml:"documents"`
	Photos []struct {
		Code    string `yaml:"code"`
		Title   string `yaml:"title"`
		File    string `yaml:"file"`
		Caption string `yaml:"caption"`
		Alt     string `yaml:"alt"`
	} `yaml:"photos"`
	Interviews []struct {
		Code   string `yaml:"code"`
		Person string `yaml:"person"`
		Notes  []struct {
			Q string `yaml:"q"`
			A string `yaml:"a"`
		} `yaml:"notes"`
	} `yaml:"interviews"`
	Planted []Planted `yaml:"planted"`
	Conform []struct {
		Item   string `yaml:"item"`
		Reason string `yaml:"reason"`
	} `yaml:"conform"`
	// Filled by LoadPractice: the checklist items, in the file's order.
	Checklist []PracticeItem `yaml:"-"`
	// Photo files by code: name under the module's static files and content.
	PhotoSVG map[string][]byte `yaml:"-"`
}

// Planted is one problem of the model answer.
type Planted struct {
	Code         string   `yaml:"code"`
	Item         string   `yaml:"item"`
	Judgement    string   `yaml:"judgement"`
	Evidence     []string `yaml:"evidence"`
	Problem      string   `yaml:"problem"`
	ModelFinding string   `yaml:"model_finding"`
	Hint         string   `yaml:"hint"`
}

// PracticeItem is a checklist item of the practice, from the catalogue's
// content.
type PracticeItem struct {
	Code     string `yaml:"code"`
	Category string `yaml:"category"`
	Question string `yaml:"question"`
	Criteria struct {
		Conform    string `yaml:"conform"`
		Partial    string `yaml:"partial"`
		Nonconform string `yaml:"nonconform"`
	} `yaml:"criteria"`
}

// Judgement codes of the practice (as the audit module's).
var practiceJudgements = []struct{ Code, Label, Mark string }{
	{"conform", "適合", "○"}, {"partial", "一部不適合", "△"}, {"nonconform", "不適合", "×"}, {"na", "該当なし", "－"},
}

// LoadPractice reads fiscal year fy's practice audit and the checklist
// items it names; every reference must resolve.
func LoadPractice(fsys fs.FS, fy int) (*Practice, error) {
	name := fmt.Sprintf("learning/%d/practice.yaml", fy)
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var p Practice
	if err := yaml.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	items := map[string]PracticeItem{}
	for _, f := range []string{"catalog/checklists/internal-part1.yaml", "catalog/checklists/internal-part2.yaml"} {
		cb, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var cl struct {
			Items []PracticeItem `yaml:"items"`
		}
		if err := yaml.Unmarshal(cb, &cl); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, it := range cl.Items {
			items[it.Code] = it
		}
	}
	var errs []string
	for _, code := range p.Items {
		it, ok := items[code]
		if !ok {
			errs = append(errs, "チェックリストに項目 "+code+" がありません")
			continue
		}
		p.Checklist = append(p.Checklist, it)
	}
	material := map[string]bool{}
	for _, d := range p.Documents {
		material[d.Code] = true
	}
	for _, in := range p.Interviews {
		material[in.Code] = true
	}
	p.PhotoSVG = map[string][]byte{}
	for _, ph := range p.Photos {
		material[ph.Code] = true
		svg, err := fs.ReadFile(fsys, path.Join(path.Dir(name), ph.File))
		if err != nil {
			errs = append(errs, fmt.Sprintf("写真 %s のファイル %s がありません", ph.Code, ph.File))
			continue
		}
		p.PhotoSVG[ph.Code] = svg
	}
	judged := map[string]bool{}
	for _, x := range p.Planted {
		if !slices.Contains(p.Items, x.Item) || (x.Judgement != "partial" && x.Judgement != "nonconform") {
			errs = append(errs, fmt.Sprintf("%s: 項目 %s か判定 %s が正しくありません", x.Code, x.Item, x.Judgement))
		}
		for _, e := range x.Evidence {
			if !material[e] {
				errs = append(errs, fmt.Sprintf("%s: 資料 %s がありません", x.Code, e))
			}
		}
		judged[x.Item] = true
	}
	for _, c := range p.Conform {
		if judged[c.Item] || !slices.Contains(p.Items, c.Item) {
			errs = append(errs, "適合の項目 "+c.Item+" が正しくありません")
		}
		judged[c.Item] = true
	}
	for _, code := range p.Items {
		if !judged[code] {
			errs = append(errs, "項目 "+code+" に模範解答がありません")
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %s", name, strings.Join(errs, "\n"))
	}
	return &p, nil
}

// PracticeWork is one trainee's practice audit.
type PracticeWork struct {
	ID          int64
	Code        string
	UserID      int64
	Trainee     string
	Judgements  map[string]string
	Findings    map[string]string
	SubmittedAt time.Time
	UpdatedAt   time.Time
}

// Submitted reports whether the work was handed in.
func (w PracticeWork) Submitted() bool { return !w.SubmittedAt.IsZero() }

func scanPractice(sc interface{ Scan(...any) error }) (PracticeWork, error) {
	var w PracticeWork
	var j, f, sub string
	var user sql.NullInt64
	var at database.Time
	if err := sc.Scan(&w.ID, &w.Code, &user, &w.Trainee, &j, &f, &sub, &at); err != nil {
		return w, err
	}
	w.UserID, w.SubmittedAt, w.UpdatedAt = user.Int64, parseStamp(sub), at.Time
	if err := json.Unmarshal([]byte(j), &w.Judgements); err != nil {
		return w, err
	}
	return w, json.Unmarshal([]byte(f), &w.Findings)
}

const practiceCols = "id, code, user_id, trainee_name, judgements, findings, submitted_at, updated_at"

// PracticeOf is a user's latest work on practice code (ErrNotFound: none).
func (s *Store) PracticeOf(ctx context.Context, code string, userID int64) (PracticeWork, error) {
	w, err := scanPractice(s.db.QueryRow(ctx, "SELECT "+practiceCols+" FROM learning_practice WHERE code = ? AND user_id = ? ORDER BY id DESC LIMIT 1", code, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return w, database.ErrNotFound
	}
	return w, err
}

// PracticeWorks are every trainee's work on practice code, latest first.
func (s *Store) PracticeWorks(ctx context.Context, code string) ([]PracticeWork, error) {
	rows, err := s.db.Query(ctx, "SELECT "+practiceCols+" FROM learning_practice WHERE code = ? ORDER BY id DESC", code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PracticeWork
	for rows.Next() {
		w, err := scanPractice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// maxFinding is the longest finding a trainee may write for one item.
const maxFinding = 2000

// SavePractice stores a trainee's judgements and findings (submit: hand
// in, after which the work is fixed and a new try starts a new row).
// Judgements must be known codes of the practice's items; a 一部不適合 or
// 不適合 needs a finding when handed in.
func (s *Store) SavePractice(ctx context.Context, p *Practice, userID int64, name string, judgements, findings map[string]string, submit bool) (PracticeWork, error) {
	fe := FieldErrors{}
	for code, j := range judgements {
		if !slices.Contains(p.Items, code) {
			fe["items"] = "この模擬監査にない項目が含まれています。画面を開き直してください。"
			continue
		}
		if j != "" && !slices.ContainsFunc(practiceJudgements, func(x struct{ Code, Label, Mark string }) bool { return x.Code == j }) {
			fe["j_"+code] = code + "：判定を選び直してください。"
		}
	}
	for code, f := range findings {
		if !slices.Contains(p.Items, code) {
			fe["items"] = "この模擬監査にない項目が含まれています。画面を開き直してください。"
		}
		if n := utf8.RuneCountInString(f); n > maxFinding {
			fe["f_"+code] = fmt.Sprintf("%s：指摘事項は%d文字以内で書いてください（%d文字あります）。", code, maxFinding, n)
		}
	}
	if submit {
		for _, code := range p.Items {
			switch judgements[code] {
			case "":
				fe["j_"+code] = code + "：判定を選んでください。"
			case "partial", "nonconform":
				if strings.TrimSpace(findings[code]) == "" {
					fe["f_"+code] = code + "：一部不適合・不適合とした項目には指摘事項を書いてください。"
				}
			}
		}
	}
	if len(fe) > 0 {
		return PracticeWork{}, fe
	}
	var out PracticeWork
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		var sub any = ""
		if submit {
			sub = now
		}
		w, err := scanPractice(s.db.QueryRowWrite(ctx, "SELECT "+practiceCols+" FROM learning_practice WHERE code = ? AND user_id = ? AND submitted_at = '' ORDER BY id DESC LIMIT 1", p.Code, userID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			id, err := s.db.InsertID(ctx, "INSERT INTO learning_practice (code, user_id, trainee_name, judgements, findings, submitted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
				p.Code, userID, name, jsonText(judgements), jsonText(findings), sub, now)
			if err != nil {
				return err
			}
			w = PracticeWork{ID: id}
		case err != nil:
			return err
		default:
			if _, err := s.db.Exec(ctx, "UPDATE learning_practice SET judgements = ?, findings = ?, submitted_at = ?, updated_at = ? WHERE id = ?",
				jsonText(judgements), jsonText(findings), sub, now, w.ID); err != nil {
				return err
			}
		}
		out, err = scanPractice(s.db.QueryRowWrite(ctx, "SELECT "+practiceCols+" FROM learning_practice WHERE id = ?", w.ID))
		if err != nil || !submit {
			return err
		}
		return s.log.Record(ctx, "learning.practice_submit", fmt.Sprintf("learning_practice:%d", w.ID), fmt.Sprintf("%s 模擬監査を提出（%s）", p.Code, name))
	})
	return out, err
}

// PracticeResult compares a trainee's work with the model answer.
type PracticeResult struct {
	Found      []PracticeHit // planted problems judged 一部不適合 or 不適合
	Missed     []PracticeHit // planted problems judged 適合, 該当なし or not at all
	False      []PracticeFalse
	Planted    int
	SameWeight int // found with the model's own judgement (△ for △, × for ×)
}

// PracticeHit is a planted problem with what the trainee wrote.
type PracticeHit struct {
	Planted
	Given   string // the trainee's judgement
	Finding string // the trainee's finding
}

// PracticeFalse is an item the model judges 適合 that the trainee did not.
type PracticeFalse struct {
	Item, Given, Reason, Finding string
}

// Compare grades work w against practice p.
func Compare(p *Practice, w PracticeWork) PracticeResult {
	r := PracticeResult{Planted: len(p.Planted)}
	for _, x := range p.Planted {
		h := PracticeHit{Planted: x, Given: w.Judgements[x.Item], Finding: w.Findings[x.Item]}
		if h.Given == "partial" || h.Given == "nonconform" {
			r.Found = append(r.Found, h)
			if h.Given == x.Judgement {
				r.SameWeight++
			}
		} else {
			r.Missed = append(r.Missed, h)
		}
	}
	for _, c := range p.Conform {
		if g := w.Judgements[c.Item]; g == "partial" || g == "nonconform" {
			r.False = append(r.False, PracticeFalse{Item: c.Item, Given: g, Reason: c.Reason, Finding: w.Findings[c.Item]})
		}
	}
	return r
}

// JudgementLabel is a practice judgement in words with its mark.
func JudgementLabel(j string) string {
	for _, x := range practiceJudgements {
		if x.Code == j {
			return x.Mark + " " + x.Label
		}
	}
	return "（未判定）"
}

// GivenLabel is the trainee's judgement in words.
func (h PracticeHit) GivenLabel() string { return JudgementLabel(h.Given) }

// ModelLabel is the model answer's judgement in words.
func (h PracticeHit) ModelLabel() string { return JudgementLabel(h.Judgement) }

// GivenLabel is the trainee's judgement in words.
func (f PracticeFalse) GivenLabel() string { return JudgementLabel(f.Given) }
