package learning

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// PackageRow is a stored SCORM package.
type PackageRow struct {
	SCORMPackage
	ID         int64
	CourseID   int64
	BlobID     int64
	FileName   string
	Bytes      int64
	ImportedBy string
	ImportedAt time.Time
}

// VersionLabel is 「SCORM 1.2」.
func (p PackageRow) VersionLabel() string { return "SCORM " + p.Version }

// SCORMImport is the import form.
type SCORMImport struct {
	Code        string // the course code (new or an existing SCORM course of the year)
	FiscalYear  int
	Minutes     int // the course's length as the vendor states it
	PassPercent int // shown to learners; the SCO judges pass/fail itself
}

// Check validates the form.
func (in SCORMImport) Check() FieldErrors {
	fe := FieldErrors{}
	code := strings.TrimSpace(in.Code)
	switch {
	case code == "":
		fe["code"] = "コース記号を入力してください（例：VENDOR1）。"
	case len(code) > 20 || strings.IndexFunc(code, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) >= 0:
		fe["code"] = "コース記号は半角英大文字・数字・ハイフン・下線の 20 文字以内で入力してください。"
	}
	if in.Minutes < 1 || in.Minutes > 600 {
		fe["minutes"] = "所要時間は 1〜600 分で入力してください。"
	}
	if in.PassPercent < 0 || in.PassPercent > 100 {
		fe["pass"] = "合格点は 0〜100 で入力してください。"
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

const packageCols = `id, course_id, version, identifier, title, launch, mastery, launch_data, blob_id, file_name, files, bytes, warnings,
	imported_by_name, imported_at`

func scanPackage(sc interface{ Scan(...any) error }) (PackageRow, error) {
	var p PackageRow
	var warnings string
	var at database.Time
	err := sc.Scan(&p.ID, &p.CourseID, &p.Version, &p.Identifier, &p.Title, &p.Launch, &p.Mastery, &p.LaunchData, &p.BlobID, &p.FileName,
		&p.Files, &p.Bytes, &warnings, &p.ImportedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return p, database.ErrNotFound
	}
	if err != nil {
		return p, err
	}
	p.ImportedAt, p.Unzipped = at.Time, p.Bytes
	return p, json.Unmarshal([]byte(warnings), &p.Warnings)
}

// Package is stored package id; a missing one is database.ErrNotFound.
func (s *Store) Package(ctx context.Context, id int64) (PackageRow, error) {
	return scanPackage(s.db.QueryRow(ctx, "SELECT "+packageCols+" FROM learning_scorm_packages WHERE id = ?", id))
}

// Packages lists a course's packages, the latest first.
func (s *Store) Packages(ctx context.Context, courseID int64) ([]PackageRow, error) {
	rows, err := s.db.Query(ctx, "SELECT "+packageCols+" FROM learning_scorm_packages WHERE course_id = ? ORDER BY id DESC", courseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PackageRow
	for rows.Next() {
		p, err := scanPackage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ImportSCORM stores package p (already in blob blobID, uploaded as name)
// as the course in.Code of in.FiscalYear: a new course with one variant
// for everyone, or a new package for an existing SCORM course (its
// learners start the new package afresh; completions stay). It returns
// the course and whether it was created.
func (s *Store) ImportSCORM(ctx context.Context, in SCORMImport, p *SCORMPackage, blobID int64, name string, size int64, by string) (int64, bool, error) {
	if fe := in.Check(); fe != nil {
		return 0, false, fe
	}
	code := strings.TrimSpace(in.Code)
	var courseID int64
	created := false
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		c, err := s.CourseByCode(ctx, code, in.FiscalYear)
		switch {
		case errors.Is(err, database.ErrNotFound):
			now := database.T(s.now())
			courseID, err = s.db.InsertID(ctx, `INSERT INTO learning_courses (code, fiscal_year, title, summary, minutes, pass_percent, variants, categories,
				tests, updated_by_name, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, code, in.FiscalYear, p.Title,
				"外部の事業者が作成した教材（"+"SCORM "+p.Version+"）。", in.Minutes, in.PassPercent, `[["all","全職員"]]`, `[]`, `{}`, by, now)
			if err != nil {
				return err
			}
			created = true
		case err != nil:
			return err
		case !c.SCORM():
			return FieldErrors{"code": fmt.Sprintf("%sの %s は区の教材（単元とテスト）です。別のコース記号を入力してください。", jp.FiscalYearLabel(in.FiscalYear), code)}
		default:
			courseID = c.ID
		}
		w, _ := json.Marshal(append([]string{}, p.Warnings...))
		pkg, err := s.db.InsertID(ctx, `INSERT INTO learning_scorm_packages (course_id, version, identifier, title, launch, mastery, launch_data, blob_id,
			file_name, files, bytes, warnings, imported_by_name, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, courseID, p.Version,
			p.Identifier, p.Title, p.Launch, p.Mastery, p.LaunchData, blobID, name, p.Files, p.Unzipped, string(w), by, database.T(s.now()))
		if err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, "UPDATE learning_courses SET scorm_package = ?, minutes = ?, pass_percent = ?, rev = rev + 1, updated_by_name = ?, updated_at = ? WHERE id = ?",
			pkg, in.Minutes, in.PassPercent, by, database.T(s.now()), courseID); err != nil {
			return err
		}
		verb := "新しい版を取り込み"
		if created {
			verb = "コースとして取り込み"
		}
		return s.log.Record(ctx, "learning.scorm_import", fmt.Sprintf("learning_course:%d", courseID),
			fmt.Sprintf("SCORM パッケージ「%s」（%s, %d ファイル, %d バイト, blob:%d）を %s %s の%s", name, "SCORM "+p.Version, p.Files, size, blobID,
				jp.FiscalYearLabel(in.FiscalYear), code, verb))
	})
	s.forget(courseID)
	return courseID, created, err
}

// copyPackage gives course to the package of course from (CopyCourse).
func (s *Store) copyPackage(ctx context.Context, from Course, to int64, by string) error {
	p, err := s.Package(ctx, from.Package)
	if err != nil {
		return err
	}
	w, _ := json.Marshal(append([]string{}, p.Warnings...))
	pkg, err := s.db.InsertID(ctx, `INSERT INTO learning_scorm_packages (course_id, version, identifier, title, launch, mastery, launch_data, blob_id,
		file_name, files, bytes, warnings, imported_by_name, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, to, p.Version,
		p.Identifier, p.Title, p.Launch, p.Mastery, p.LaunchData, p.BlobID, p.FileName, p.Files, p.Bytes, string(w), by, database.T(s.now()))
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx, "UPDATE learning_courses SET scorm_package = ? WHERE id = ?", pkg, to)
	return err
}

// SCORMStateOf is an assignment's run-time data in package pkg (a fresh
// state, and false, before the first launch).
func (s *Store) SCORMStateOf(ctx context.Context, assignmentID, pkg int64) (SCORMState, bool, error) {
	st := NewSCORMState()
	var data string
	err := s.db.QueryRow(ctx, `SELECT status, success, score_raw, score_percent, location, suspend_data, total_seconds, sessions, data
		FROM learning_scorm_state WHERE assignment_id = ? AND package_id = ?`, assignmentID, pkg).
		Scan(&st.Status, &st.Success, &st.ScoreRaw, &st.ScorePercent, &st.Location, &st.SuspendData, &st.TotalSeconds, &st.Sessions, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return st, false, nil
	}
	if err != nil {
		return st, false, err
	}
	return st, true, json.Unmarshal([]byte(data), &st.Data)
}

// CommitSCORM folds commit c of assignment a into its state in package p,
// and settles the assignment: started, the best score, completed the
// first time the SCO reports it (never taken back). A commit the run-time
// refuses is a FieldErrors naming the element; nothing is changed.
func (s *Store) CommitSCORM(ctx context.Context, a Assignment, p PackageRow, c SCORMCommit) (SCORMState, error) {
	var out SCORMState
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// Commits of one assignment one after another: two in flight at
		// once (a SCO commits on every page) must not both fold into the
		// same old state.
		if err := s.db.LockRow(ctx, "learning_assignments", a.ID); err != nil {
			return err
		}
		st, found, err := s.SCORMStateOf(ctx, a.ID, p.ID)
		if err != nil {
			return err
		}
		next, err := st.Apply(p.Version, p.Mastery, c)
		if err != nil {
			return FieldErrors{"scorm": err.Error()}
		}
		data, _ := json.Marshal(next.Data)
		now := database.T(s.now())
		if found {
			_, err = s.db.Exec(ctx, `UPDATE learning_scorm_state SET status = ?, success = ?, score_raw = ?, score_percent = ?, location = ?,
				suspend_data = ?, total_seconds = ?, sessions = ?, data = ?, updated_at = ? WHERE assignment_id = ? AND package_id = ?`,
				next.Status, next.Success, next.ScoreRaw, next.ScorePercent, next.Location, next.SuspendData, next.TotalSeconds, next.Sessions,
				string(data), now, a.ID, p.ID)
		} else {
			_, err = s.db.Exec(ctx, `INSERT INTO learning_scorm_state (assignment_id, package_id, status, success, score_raw, score_percent, location,
				suspend_data, total_seconds, sessions, data, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, p.ID, next.Status,
				next.Success, next.ScoreRaw, next.ScorePercent, next.Location, next.SuspendData, next.TotalSeconds, next.Sessions, string(data), now)
		}
		if err != nil {
			return err
		}
		// The best score and the completion are settled against the row
		// as it is now (a, read before the lock, may be older).
		done := next.Completed(p.Version) && a.CompletedAt.IsZero()
		if _, err := s.db.Exec(ctx, `UPDATE learning_assignments SET started_at = CASE WHEN started_at = '' THEN ? ELSE started_at END,
			best_percent = CASE WHEN best_percent < ? THEN ? ELSE best_percent END, attempts = ?, lessons_done = ?,
			completed_at = CASE WHEN completed_at = '' AND ? THEN ? ELSE completed_at END,
			updated_at = ? WHERE id = ?`, now, next.ScorePercent, next.ScorePercent, next.Sessions, boolInt(next.Completed(p.Version)), done, now, now, a.ID); err != nil {
			return err
		}
		out = next
		if !c.Finish && !done {
			return nil
		}
		what := fmt.Sprintf("SCORM 教材の学習を終了（%s、%s", next.StatusLabel(p.Version), DurationLabel(next.TotalSeconds))
		if next.ScorePercent >= 0 {
			what += fmt.Sprintf("、得点 %d%%", next.ScorePercent)
		}
		return s.log.Record(ctx, "learning.scorm_session", fmt.Sprintf("learning_assignment:%d", a.ID), what+"）")
	})
	return out, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// mayOpenPackage reports whether staff member staff has an assignment in
// a campaign of the package's course.
func (s *Store) mayOpenPackage(ctx context.Context, pkg, staff int64) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM learning_assignments a JOIN learning_campaigns c ON c.id = a.campaign_id
		JOIN learning_scorm_packages p ON p.course_id = c.course_id WHERE a.staff_id = ? AND p.id = ?`, staff, pkg).Scan(&n)
	return n > 0, err
}

// SizeLabel is the unzipped size in MB (KB below 1 MB).
func (p PackageRow) SizeLabel() string {
	if p.Bytes < 1<<20 {
		return fmt.Sprintf("%d KB", (p.Bytes+1023)>>10)
	}
	return fmt.Sprintf("%.1f MB", float64(p.Bytes)/(1<<20))
}

// SamplePackage zips the sample vendor course of content/learning/scorm
// (name: its folder) as a vendor would deliver it: the demo's SCORM course
// and the tests'.
func SamplePackage(name string) ([]byte, error) {
	dir := "learning/scorm/" + name
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := fs.WalkDir(contentFS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(contentFS(), p)
		if err != nil {
			return err
		}
		w, err := zw.Create(strings.TrimPrefix(p, dir+"/"))
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
