package learning

import (
	"archive/zip"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"mamori/internal/web"
)

// The SCORM screens: the import (managers), the player (the learner's
// assignment, or a manager's preview that records nothing) and the
// package's files, served from Mamori's own origin.

var scormUpload = web.Upload{MaxBytes: SCORMMaxBytes, Types: []web.FileType{web.ZIP}, Fallback: "scorm.zip"}

func (m *Module) scormRoutes(rt *web.Router) {
	manage := Managers.Rule()
	rt.Handle("POST /learning/courses/scorm", manage.WithUpload().WithBodyLimit(SCORMMaxBytes+1<<20), m.scormImport)
	course := manage.On(web.Object{Kind: "learning.course", Allow: m.courseExists})
	rt.Handle("GET /learning/courses/{id}/scorm", course, m.scormPreview)
	mine := web.SignedIn().On(web.Object{Kind: "learning.assignment", Allow: m.mayTake})
	rt.Handle("GET /learning/my/{id}/scorm", mine, m.scormPlayer)
	rt.Handle("POST /learning/my/{id}/scorm", mine, m.scormCommit)
	pkg := web.SignedIn().On(web.Object{Kind: "learning.scorm_package", Allow: m.mayOpenPackage})
	rt.Handle("GET /learning/scorm/{id}/{name...}", pkg, m.scormFile)
}

// mayOpenPackage: managers open every package (the preview); anyone else
// one of a course they are assigned.
func (m *Module) mayOpenPackage(ctx context.Context, u *web.User, _ web.Scope, id int64) (bool, error) {
	if _, err := m.store.Package(ctx, id); err != nil {
		return false, err
	}
	if Managers.HasUser(u) {
		return true, nil
	}
	staff, err := m.staffOf(ctx, u)
	if err != nil || staff == 0 {
		return false, err
	}
	return m.store.mayOpenPackage(ctx, id, staff)
}

// scormImport takes a package as a new course of the current year, or as
// a new version of one of its SCORM courses.
func (m *Module) scormImport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := web.UserFrom(ctx)
	in := SCORMImport{Code: strings.ToUpper(strings.TrimSpace(r.FormValue("code"))), FiscalYear: m.d.Org.CurrentFiscalYear(ctx)}
	var fe FieldErrors = FieldErrors{}
	var err error
	if in.Minutes, err = strconv.Atoi(strings.TrimSpace(r.FormValue("minutes"))); err != nil {
		fe["minutes"] = "所要時間は 1〜600 分の数字で入力してください。"
	}
	if in.PassPercent, err = strconv.Atoi(strings.TrimSpace(r.FormValue("pass"))); err != nil {
		fe["pass"] = "合格点は 0〜100 の数字で入力してください。"
	}
	for k, v := range in.Check() {
		if _, ok := fe[k]; !ok {
			fe[k] = v
		}
	}
	fail := func(fe FieldErrors) error {
		return m.renderCourseList(w, r, http.StatusUnprocessableEntity, &scormForm{In: in, Errors: fe, Minutes: r.FormValue("minutes"), Pass: r.FormValue("pass")})
	}
	up, err := scormUpload.Read(r)
	var we *web.Error
	if errors.As(err, &we) {
		fe["file"] = we.Msg
		return fail(fe)
	} else if err != nil {
		return err
	}
	p, err := ParseSCORM(up.Data)
	var se *SCORMError
	if errors.As(err, &se) {
		fe["file"] = up.Name + ": " + se.Msg
		return fail(fe)
	} else if err != nil {
		return err
	}
	if len(fe) > 0 {
		return fail(fe)
	}
	var courseID int64
	if err := m.d.DB.WithTx(ctx, func(ctx context.Context) error {
		b, err := m.d.Blobs.Put(ctx, up.Name, up.ContentType, up.Data, u.ID)
		if err != nil {
			return err
		}
		courseID, _, err = m.store.ImportSCORM(ctx, in, p, b.ID, up.Name, int64(len(up.Data)), u.DisplayName)
		return err
	}); errors.As(err, &fe) {
		return fail(fe)
	} else if err != nil {
		return err
	}
	msg := fmt.Sprintf("SCORM パッケージ「%s」（SCORM %s）を %s として取り込みました。", up.Name, p.Version, in.Code)
	if len(p.Warnings) > 0 {
		msg += fmt.Sprintf("確認事項が %d 件あります。", len(p.Warnings))
	}
	return web.Redirect(w, r, fmt.Sprintf("/learning/courses/%d", courseID), msg, len(p.Warnings) == 0)
}

// scormForm is the import form as typed, with what was wrong.
type scormForm struct {
	In            SCORMImport
	Errors        FieldErrors
	Minutes, Pass string
}

// playerView is the player page.
type playerView struct {
	Course  Course
	Package PackageRow
	T       *taking // nil in a manager's preview
	State   SCORMState
	Init    scormInit
	Back    string
}

// scormInit is what the API adapter starts with (JSON in the page).
type scormInit struct {
	Version string            `json:"version"`
	Values  map[string]string `json:"values"`
	Commit  string            `json:"commit"` // "" in a preview: nothing is recorded
	CSRF    string            `json:"csrf"`
	Back    string            `json:"back"`
}

// StatusLabel is the learner's state in Japanese.
func (v playerView) StatusLabel() string { return v.State.StatusLabel(v.Package.Version) }

// Src is the SCO's start page.
func (v playerView) Src() string {
	return fmt.Sprintf("/learning/scorm/%d/%s", v.Package.ID, pathEscape(v.Package.Launch))
}

// pathEscape escapes a package path for a URL, keeping its slashes and
// its query.
func pathEscape(s string) string {
	p, q, hasQ := strings.Cut(s, "?")
	frag := ""
	if i := strings.IndexByte(p, '#'); i >= 0 {
		p, frag = p[:i], p[i:]
	}
	parts := strings.Split(p, "/")
	for i, x := range parts {
		parts[i] = url.PathEscape(x)
	}
	out := strings.Join(parts, "/")
	if hasQ {
		out += "?" + q
	}
	return out + frag
}

func (m *Module) scormPlayer(w http.ResponseWriter, r *http.Request) error {
	t, err := m.takingWith(r, false)
	if err != nil {
		return err
	}
	if !t.Course.SCORM() {
		return web.NotFound()
	}
	p, err := m.store.Package(r.Context(), t.Course.Package)
	if err != nil {
		return err
	}
	st, _, err := m.store.SCORMStateOf(r.Context(), t.A.ID, p.ID)
	if err != nil {
		return err
	}
	id, name, err := m.learnerIdentity(r.Context(), t.A)
	if err != nil {
		return err
	}
	v := playerView{Course: t.Course, Package: p, T: t, State: st, Back: t.Path()}
	v.Init = scormInit{Version: p.Version, Values: initValues(p, st, id, name, "normal"), Commit: t.Path() + "/scorm",
		CSRF: web.CSRFFrom(r.Context()), Back: t.Path()}
	return web.Render(w, r, http.StatusOK, "learning/learning_scorm", t.Course.Title, v)
}

// learnerIdentity is the learner id and name the SCO is told: the staff
// number and the name of the roster.
func (m *Module) learnerIdentity(ctx context.Context, a Assignment) (string, string, error) {
	p, err := m.staffOfAssignment(ctx, a)
	if err != nil {
		return "", "", err
	}
	return p.EmployeeNo, p.Name, nil
}

// scormPreview plays a course's package for a manager; nothing is stored.
func (m *Module) scormPreview(w http.ResponseWriter, r *http.Request) error {
	cv, err := m.courseOf(r)
	if err != nil {
		return err
	}
	if !cv.C.SCORM() {
		return web.NotFound()
	}
	p, err := m.store.Package(r.Context(), cv.C.Package)
	if err != nil {
		return err
	}
	u := web.UserFrom(r.Context())
	back := fmt.Sprintf("/learning/courses/%d", cv.C.ID)
	v := playerView{Course: cv.C, Package: p, State: NewSCORMState(), Back: back}
	v.Init = scormInit{Version: p.Version, Values: initValues(p, v.State, "preview-"+u.Login, u.DisplayName, "browse"), Back: back}
	return web.Render(w, r, http.StatusOK, "learning/learning_scorm", cv.C.Title+"（プレビュー）", v)
}

// initValues are the data model elements the SCO may read at launch.
func initValues(p PackageRow, st SCORMState, learnerID, name, mode string) map[string]string {
	entry := ""
	switch {
	case st.Sessions == 0 && st.Location == "" && st.SuspendData == "":
		entry = "ab-initio"
	case st.Exit() == "suspend":
		entry = "resume"
	}
	out := map[string]string{}
	for k, v := range st.Data {
		if strings.HasSuffix(k, ".exit") || strings.HasSuffix(k, "session_time") {
			continue // write-only
		}
		out[k] = v
	}
	total := st.TotalSeconds
	if p.Version == SCORM12 {
		out["cmi.core.student_id"] = learnerID
		out["cmi.core.student_name"] = name
		out["cmi.core.lesson_location"] = st.Location
		out["cmi.core.lesson_status"] = st.Status
		out["cmi.core.entry"] = entry
		out["cmi.core.credit"] = "credit"
		out["cmi.core.lesson_mode"] = mode
		out["cmi.core.total_time"] = fmt.Sprintf("%04d:%02d:%02d", total/3600, total%3600/60, total%60)
		out["cmi.suspend_data"] = st.SuspendData
		out["cmi.launch_data"] = p.LaunchData
		if p.Mastery >= 0 {
			out["cmi.student_data.mastery_score"] = strconv.Itoa(p.Mastery)
		}
		return out
	}
	out["cmi._version"] = "1.0"
	out["cmi.learner_id"] = learnerID
	out["cmi.learner_name"] = name
	out["cmi.location"] = st.Location
	out["cmi.completion_status"] = st.Status
	out["cmi.success_status"] = st.Success
	out["cmi.entry"] = entry
	out["cmi.credit"] = "credit"
	out["cmi.mode"] = mode
	out["cmi.total_time"] = fmt.Sprintf("PT%dH%dM%dS", total/3600, total%3600/60, total%60)
	out["cmi.suspend_data"] = st.SuspendData
	out["cmi.launch_data"] = p.LaunchData
	return out
}

// scormCommit stores what the adapter posts (JSON); 200 with the state.
func (m *Module) scormCommit(w http.ResponseWriter, r *http.Request) error {
	t, err := m.takingWith(r, false)
	if err != nil {
		return err
	}
	if !t.Course.SCORM() {
		return web.NotFound()
	}
	if !t.Open() && !t.A.Done() {
		return web.Invalid("受講期間（%s）外のため、学習の記録は保存できません。", t.Campaign.Period())
	}
	var c SCORMCommit
	dec := json.NewDecoder(io.LimitReader(r.Body, 2<<20))
	if err := dec.Decode(&c); err != nil {
		return web.Invalid("学習の記録を読み取れませんでした（%s）。", "JSON の形式が正しくありません")
	}
	p, err := m.store.Package(r.Context(), t.Course.Package)
	if err != nil {
		return err
	}
	st, err := m.store.CommitSCORM(r.Context(), t.A, p, c)
	var fe FieldErrors
	if errors.As(err, &fe) {
		return web.Invalid("学習の記録を保存できませんでした：%s。", fe["scorm"])
	} else if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(map[string]any{"status": st.StatusLabel(p.Version), "completed": st.Completed(p.Version)})
}

// scormCSP lets a package's pages run their own scripts and styles (SCO
// tools write them inline) but load nothing from another host, and be
// framed only by Mamori's player.
const scormCSP = "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; font-src 'self' data:; connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'self'; object-src 'none'"

// scormFile serves one file of a package, by its name in the ZIP.
func (m *Module) scormFile(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if !safeZipName(name) {
		return web.NotFound()
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p, err := m.store.Package(r.Context(), id)
	if err != nil {
		return err
	}
	b, f, err := m.d.Blobs.Open(r.Context(), p.BlobID)
	if err != nil {
		return err
	}
	defer f.Close()
	ra, ok := f.(io.ReaderAt)
	if !ok {
		return fmt.Errorf("learning.scormFile: blob %d cannot be read at offsets", p.BlobID)
	}
	idx, err := m.packageIndex(p, ra, b.Size)
	if err != nil {
		return err
	}
	e, ok := idx[name]
	if !ok {
		return web.NotFound()
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", scormCSP)
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	hd.Set("Content-Type", contentTypeOf(name))
	hd.Set("Cache-Control", "private, max-age=3600")
	data := io.NewSectionReader(ra, e.offset, e.compressed)
	if e.method == zip.Store {
		// Stored (not compressed, as media usually are): by ranges, so a
		// video in the package seeks.
		http.ServeContent(w, r, "", p.ImportedAt, data)
		return nil
	}
	hd.Set("Content-Length", strconv.FormatInt(e.size, 10))
	if r.Method == http.MethodHead {
		return nil
	}
	rc := flate.NewReader(data)
	defer rc.Close()
	_, err = io.Copy(w, io.LimitReader(rc, e.size))
	return err
}

// zipEntry is where one file of a package lies in its ZIP.
type zipEntry struct {
	offset, compressed, size int64
	method                   uint16
}

// packageIndex is package p's files by name, read from its ZIP once: a
// package never changes (a new version is a new package), and a SCO's page
// loads dozens of files.
func (m *Module) packageIndex(p PackageRow, ra io.ReaderAt, size int64) (map[string]zipEntry, error) {
	if v, ok := m.packages.Load(p.ID); ok {
		return v.(map[string]zipEntry), nil
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, fmt.Errorf("learning.scormFile: package %d: %w", p.ID, err)
	}
	idx := map[string]zipEntry{}
	for name, f := range SCORMFiles(zr) {
		if f.Method != zip.Store && f.Method != zip.Deflate {
			continue
		}
		off, err := f.DataOffset()
		if err != nil {
			return nil, err
		}
		idx[name] = zipEntry{offset: off, compressed: int64(f.CompressedSize64), size: int64(f.UncompressedSize64), method: f.Method}
	}
	m.packages.Store(p.ID, idx)
	return idx, nil
}

// contentTypeOf is the type a package file is served as (by extension; the
// system's MIME table is not consulted, so every machine serves the same).
func contentTypeOf(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".html", ".htm":
		return "text/html; charset=utf-8"
	case ".xhtml":
		return "application/xhtml+xml"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json":
		return "application/json"
	case ".xml", ".xsd":
		return "application/xml"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".svg":
		return "image/svg+xml"
	case ".webp":
		return "image/webp"
	case ".ico":
		return "image/x-icon"
	case ".mp4", ".m4v":
		return "video/mp4"
	case ".webm":
		return "video/webm"
	case ".mp3":
		return "audio/mpeg"
	case ".m4a":
		return "audio/mp4"
	case ".wav":
		return "audio/wav"
	case ".vtt":
		return "text/vtt; charset=utf-8"
	case ".woff":
		return "font/woff"
	case ".woff2":
		return "font/woff2"
	case ".ttf":
		return "font/ttf"
	case ".otf":
		return "font/otf"
	case ".pdf":
		return "application/pdf"
	}
	return "application/octet-stream"
}
