package learning

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// A vendor course as a SCORM package (issue 14): a ZIP with
// imsmanifest.xml at its root holding one SCO, in SCORM 1.2 or 2004. The
// package is stored whole (one blob) and its files are served from it by
// name, so nothing of it is ever written to disk under a name it chose.
// Sequencing, several SCOs, cmi5/xAPI and H5P are out of scope.

// SCORM versions.
const (
	SCORM12   = "1.2"
	SCORM2004 = "2004"
)

// Limits of a package.
const (
	SCORMMaxBytes   = 200 << 20 // the ZIP as uploaded
	scormMaxFiles   = 5000
	scormMaxUnzip   = 1 << 30  // all files together, uncompressed
	scormMaxText    = 20 << 20 // one text file read for the checks
	scormMaxWarning = 8        // hosts or files named in one warning
)

// SCORMPackage is what the manifest and the files say about a package.
type SCORMPackage struct {
	Version    string // SCORM12 or SCORM2004
	Identifier string // the manifest's identifier
	Title      string // the organization's (or the item's) title
	Launch     string // the SCO's start page, relative to the package root, with its parameters
	Mastery    int    // 1.2 adlcp:masteryscore (0–100), -1 when none
	LaunchData string // adlcp:datafromlms / dataFromLMS
	Files      int
	Unzipped   int64
	Warnings   []string
}

// SCORMError is a package the import refuses, with the reason in Japanese.
type SCORMError struct{ Msg string }

func (e *SCORMError) Error() string { return e.Msg }

func scormErr(format string, a ...any) error { return &SCORMError{Msg: fmt.Sprintf(format, a...)} }

// manifest is imsmanifest.xml, by local names (the namespaces differ
// between 1.2 and 2004 and between tools).
type manifest struct {
	Identifier string `xml:"identifier,attr"`
	Base       string `xml:"base,attr"`
	Metadata   struct {
		Schema        string `xml:"schema"`
		SchemaVersion string `xml:"schemaversion"`
	} `xml:"metadata"`
	Organizations struct {
		Default string         `xml:"default,attr"`
		List    []organization `xml:"organization"`
	} `xml:"organizations"`
	Resources struct {
		Base string     `xml:"base,attr"`
		List []resource `xml:"resource"`
	} `xml:"resources"`
	Manifests []struct{} `xml:"manifest"` // sub-manifests (aggregations): refused
}

type organization struct {
	Identifier string `xml:"identifier,attr"`
	Title      string `xml:"title"`
	Items      []item `xml:"item"`
}

type item struct {
	Identifier   string `xml:"identifier,attr"`
	Ref          string `xml:"identifierref,attr"`
	Parameters   string `xml:"parameters,attr"`
	Title        string `xml:"title"`
	Mastery      string `xml:"masteryscore"`
	DataFromLMS  string `xml:"datafromlms"`
	DataFromLMS4 string `xml:"dataFromLMS"`
	Items        []item `xml:"item"`
}

type resource struct {
	Identifier string `xml:"identifier,attr"`
	Type       string `xml:"type,attr"`
	ScormType  string `xml:"scormtype,attr"`
	ScormType4 string `xml:"scormType,attr"`
	Href       string `xml:"href,attr"`
	Base       string `xml:"base,attr"`
	Files      []struct {
		Href string `xml:"href,attr"`
	} `xml:"file"`
}

func (r resource) sco() bool {
	return strings.EqualFold(r.ScormType, "sco") || strings.EqualFold(r.ScormType4, "sco")
}

// ZipName is an entry's name as the package's pages address it: UTF-8
// (names an older Japanese ZIP tool wrote in Shift_JIS are decoded).
func ZipName(f *zip.File) string {
	if f.NonUTF8 || !utf8.ValidString(f.Name) {
		if s, err := japanese.ShiftJIS.NewDecoder().String(f.Name); err == nil {
			return s
		}
	}
	return f.Name
}

// safeZipName reports whether an entry's name stays inside the package: no
// absolute path, drive, backslash, control character or "..".
func safeZipName(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\:\x00") {
		return false
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	for _, part := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		if part == ".." || part == "." {
			return false
		}
	}
	return path.Clean(name) == strings.TrimSuffix(name, "/")
}

// SCORMFiles indexes a package's files by name (directories left out).
func SCORMFiles(zr *zip.Reader) map[string]*zip.File {
	out := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		n := ZipName(f)
		if _, dup := out[n]; !dup {
			out[n] = f
		}
	}
	return out
}

// ParseSCORM checks an uploaded package and reads its manifest. A package
// it refuses is a *SCORMError; what works but may disappoint (a package
// that never reports completion, one that loads from another host) is in
// Warnings.
func ParseSCORM(data []byte) (*SCORMPackage, error) {
	if len(data) > SCORMMaxBytes {
		return nil, scormErr("パッケージが大きすぎます（%.1f MB。上限 %d MB）。", float64(len(data))/(1<<20), SCORMMaxBytes>>20)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, scormErr("ZIP ファイルとして読めません（%v）。SCORM パッケージ（.zip）を選んでください。", zipReason(err))
	}
	if len(zr.File) > scormMaxFiles {
		return nil, scormErr("ファイルが多すぎます（%d 個。上限 %d 個）。", len(zr.File), scormMaxFiles)
	}
	p := &SCORMPackage{Mastery: -1}
	for _, f := range zr.File {
		n := ZipName(f)
		if !safeZipName(n) {
			return nil, scormErr("ZIP の中に安全でない名前のファイルがあります（%q）。パッケージの外を指す名前は受け付けません。", n)
		}
		if md := f.Mode(); md&fs.ModeSymlink != 0 || !md.IsDir() && !md.IsRegular() {
			return nil, scormErr("ZIP の中にシンボリックリンクなど通常でないファイルがあります（%s）。", n)
		}
		if !strings.HasSuffix(f.Name, "/") {
			p.Files++
			p.Unzipped += int64(f.UncompressedSize64)
		}
	}
	if p.Unzipped > scormMaxUnzip {
		return nil, scormErr("展開後の大きさが上限を超えます（%.0f MB。上限 %d MB）。", float64(p.Unzipped)/(1<<20), scormMaxUnzip>>20)
	}
	files := SCORMFiles(zr)
	mf, ok := files["imsmanifest.xml"]
	if !ok {
		for n := range files {
			if strings.EqualFold(path.Base(n), "imsmanifest.xml") {
				return nil, scormErr("imsmanifest.xml が ZIP の最上位にありません（%s）。フォルダの中身を直接 ZIP にしてください。", n)
			}
		}
		return nil, scormErr("imsmanifest.xml がありません。SCORM パッケージではないようです。")
	}
	raw, err := readZipFile(mf, 4<<20)
	if err != nil {
		return nil, scormErr("imsmanifest.xml を読めません（%v）。", zipReason(err))
	}
	var m manifest
	dec := xml.NewDecoder(bytes.NewReader(raw))
	dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "shift_jis") || strings.EqualFold(label, "sjis") {
			return japanese.ShiftJIS.NewDecoder().Reader(in), nil
		}
		return nil, fmt.Errorf("文字コード %s には対応していません", label)
	}
	if err := dec.Decode(&m); err != nil {
		return nil, scormErr("imsmanifest.xml が正しい XML ではありません（%v）。", err)
	}
	p.Identifier = strings.TrimSpace(m.Identifier)
	if p.Version = scormVersion(m, raw); p.Version == "" {
		return nil, scormErr("SCORM の版を判別できません（metadata の schemaversion が %q）。SCORM 1.2 または 2004 のパッケージを選んでください。", m.Metadata.SchemaVersion)
	}
	if len(m.Manifests) > 0 {
		return nil, scormErr("複数のマニフェストを含むパッケージ（集合体）には対応していません。SCO が一つのパッケージを選んでください。")
	}
	org, ok := defaultOrg(m)
	if !ok {
		return nil, scormErr("imsmanifest.xml に organization（教材の構成）がありません。")
	}
	res := map[string]resource{}
	for _, r := range m.Resources.List {
		res[r.Identifier] = r
	}
	var launchable []item
	var walk func([]item)
	walk = func(its []item) {
		for _, it := range its {
			if it.Ref != "" {
				launchable = append(launchable, it)
			}
			walk(it.Items)
		}
	}
	walk(org.Items)
	var scos []item
	for _, it := range launchable {
		r, ok := res[it.Ref]
		if !ok {
			return nil, scormErr("項目「%s」が指す resource（%s）が imsmanifest.xml にありません。", strings.TrimSpace(it.Title), it.Ref)
		}
		if r.sco() {
			scos = append(scos, it)
		}
	}
	switch {
	case len(scos) == 0:
		return nil, scormErr("SCO（学習の状況を記録する教材）がありません。資料だけのパッケージでは受講状況を記録できません。")
	case len(scos) > 1:
		return nil, scormErr("SCO が %d 個あります。SCO が一つのパッケージだけに対応しています（複数 SCO の順序制御は対象外です）。", len(scos))
	}
	it, r := scos[0], res[scos[0].Ref]
	if strings.Contains(r.Href, "://") || strings.HasPrefix(r.Href, "//") {
		return nil, scormErr("教材の開始ページが別のサーバー（%s）にあります。区のネットワークからは開けません。", r.Href)
	}
	if r.Href == "" {
		return nil, scormErr("SCO の resource（%s）に開始ページ（href）がありません。", r.Identifier)
	}
	launch := path.Join(m.Base, m.Resources.Base, r.Base, r.Href)
	page, query, _ := strings.Cut(launch, "?")
	page, _, _ = strings.Cut(page, "#")
	if _, ok := files[page]; !ok || !safeZipName(page) {
		return nil, scormErr("開始ページ %s が ZIP の中にありません。", page)
	}
	p.Launch = page
	if query != "" {
		p.Launch += "?" + query
	}
	if prm := strings.TrimSpace(it.Parameters); prm != "" {
		switch {
		case strings.HasPrefix(prm, "#"):
			p.Launch += prm
		case strings.Contains(p.Launch, "?"):
			p.Launch += "&" + strings.TrimLeft(prm, "?&")
		default:
			p.Launch += "?" + strings.TrimLeft(prm, "?&")
		}
	}
	p.Title = strings.TrimSpace(org.Title)
	if p.Title == "" {
		p.Title = strings.TrimSpace(it.Title)
	}
	if p.Title == "" {
		p.Title = p.Identifier
	}
	if ms := strings.TrimSpace(it.Mastery); ms != "" {
		if v, err := strconv.ParseFloat(ms, 64); err == nil && v >= 0 && v <= 100 {
			p.Mastery = int(v + 0.5)
		}
	}
	p.LaunchData = strings.TrimSpace(it.DataFromLMS + it.DataFromLMS4)
	p.Warnings = append(p.Warnings, missingFiles(r, m, files)...)
	w, err := scanFiles(files, p.Version)
	if err != nil {
		return nil, err
	}
	p.Warnings = append(p.Warnings, w...)
	return p, nil
}

func zipReason(err error) string {
	switch err {
	case zip.ErrFormat:
		return "形式が正しくありません"
	case zip.ErrChecksum:
		return "中身が壊れています"
	case zip.ErrAlgorithm:
		return "対応していない圧縮方式です"
	}
	return err.Error()
}

// readZipFile reads one entry, at most limit bytes.
func readZipFile(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%d MB を超えています", limit>>20)
	}
	return b, nil
}

func scormVersion(m manifest, raw []byte) string {
	v := strings.TrimSpace(m.Metadata.SchemaVersion)
	switch {
	case v == "1.2":
		return SCORM12
	case strings.Contains(v, "2004"), strings.Contains(v, "CAM 1.3"), v == "1.3":
		return SCORM2004
	case bytes.Contains(raw, []byte("adlcp_rootv1p2")):
		return SCORM12
	case bytes.Contains(raw, []byte("adlcp_v1p3")), bytes.Contains(raw, []byte("imsss")):
		return SCORM2004
	}
	return ""
}

func defaultOrg(m manifest) (organization, bool) {
	for _, o := range m.Organizations.List {
		if o.Identifier == m.Organizations.Default {
			return o, true
		}
	}
	if len(m.Organizations.List) > 0 {
		return m.Organizations.List[0], true
	}
	return organization{}, false
}

// missingFiles warns of files the SCO's resource lists that the ZIP lacks.
func missingFiles(r resource, m manifest, files map[string]*zip.File) []string {
	var miss []string
	for _, f := range r.Files {
		if f.Href == "" || strings.Contains(f.Href, "://") {
			continue
		}
		n := path.Join(m.Base, m.Resources.Base, r.Base, f.Href)
		if _, ok := files[n]; !ok {
			miss = append(miss, n)
		}
	}
	if len(miss) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("imsmanifest.xml に記載されたファイルが %d 個 ZIP にありません（%s）。教材の一部が表示されない可能性があります。", len(miss), firstN(miss))}
}

func firstN(s []string) string {
	if len(s) > scormMaxWarning {
		return strings.Join(s[:scormMaxWarning], "、") + fmt.Sprintf(" ほか %d 件", len(s)-scormMaxWarning)
	}
	return strings.Join(s, "、")
}

// What loads from another host: an element that fetches (script, img,
// iframe, link, media, object), a CSS url() or @import, and in scripts an
// absolute address of a file that a page loads, fetch() or XHR open().
var (
	reTagLoad = regexp.MustCompile(`(?is)<(?:script|img|iframe|frame|link|source|video|audio|embed|object|track|input)\b[^>]*?\b(?:src|href|data|poster)\s*=\s*["']?\s*((?:https?:)?//[^\s"'<>)]+)`)
	reCSSLoad = regexp.MustCompile(`(?i)(?:url\(\s*["']?|@import\s+["'])((?:https?:)?//[^\s"')]+)`)
	reJSLoad  = regexp.MustCompile(`(?i)(?:["'\x60]((?:https?:)?//[^\s"'\x60]+?\.(?:js|css|png|jpe?g|gif|svg|webp|mp4|webm|mp3|m4a|woff2?|ttf|otf|json|swf)(?:\?[^\s"'\x60]*)?)["'\x60]|(?:fetch|\.open)\(\s*(?:["'](?:GET|POST)["']\s*,\s*)?["']((?:https?:)?//[^\s"']+)["'])`)
)

// scanFiles reads the package's pages, scripts and style sheets for the
// two things a ward must know before it assigns the course: whether it
// ever reports completion to the LMS, and whether it loads anything from
// another host (the ward network is closed: it would not load).
func scanFiles(files map[string]*zip.File, version string) ([]string, error) {
	hosts := map[string][]string{}
	reports, flash := false, false
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		ext := strings.ToLower(path.Ext(n))
		if ext == ".swf" {
			flash = true
		}
		var res []*regexp.Regexp
		switch ext {
		case ".html", ".htm", ".xhtml":
			res = []*regexp.Regexp{reTagLoad, reCSSLoad}
		case ".css":
			res = []*regexp.Regexp{reCSSLoad}
		case ".js", ".mjs":
			res = []*regexp.Regexp{reJSLoad}
		default:
			continue
		}
		b, err := readZipFile(files[n], scormMaxText)
		if err != nil {
			return nil, scormErr("%s を読めません（%v）。", n, zipReason(err))
		}
		if !reports {
			reports = reportsCompletion(b, version)
		}
		for _, re := range res {
			for _, mt := range re.FindAllSubmatch(b, -1) {
				for _, g := range mt[1:] {
					if h := hostOf(string(g)); h != "" && !slices.Contains(hosts[h], n) {
						hosts[h] = append(hosts[h], n)
					}
				}
			}
		}
	}
	var out []string
	if !reports {
		field := "cmi.core.lesson_status"
		if version == SCORM2004 {
			field = "cmi.completion_status / cmi.success_status"
		}
		out = append(out, fmt.Sprintf("教材のスクリプトに修了の報告（%s）が見当たりません。この教材は受講しても「修了」にならない可能性があります。取り込んだ後、プレビューで最後まで進めて確かめてください。", field))
	}
	if len(hosts) > 0 {
		var hs []string
		for h, fs := range hosts {
			hs = append(hs, h+"（"+firstN(fs)+"）")
		}
		slices.Sort(hs)
		out = append(out, fmt.Sprintf("別のサーバーから読み込むものがあります：%s。区のネットワークは外部に接続しないため、その部分は表示されません。", firstN(hs)))
	}
	if flash {
		out = append(out, "Flash（.swf）を含みます。現在のブラウザーでは再生できません。")
	}
	return out, nil
}

// hostOf is the host of an absolute or scheme-relative address; the
// namespaces of XML vocabularies (SVG, XHTML) are no load.
func hostOf(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(u), "http:"), "https:")
	if !strings.HasPrefix(u, "//") {
		return ""
	}
	h := u[2:]
	if i := strings.IndexAny(h, "/?#"); i >= 0 {
		h = h[:i]
	}
	switch h {
	case "", "www.w3.org", "w3.org", "localhost", "127.0.0.1":
		return ""
	}
	return h
}

func reportsCompletion(b []byte, version string) bool {
	if version == SCORM12 {
		return bytes.Contains(b, []byte("lesson_status"))
	}
	return bytes.Contains(b, []byte("completion_status")) || bytes.Contains(b, []byte("success_status"))
}
