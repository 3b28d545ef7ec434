package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"embed"
	"mamori/internal/jp"
)

//go:embed templates
var layoutFS embed.FS

// NavItem is one entry of the side navigation.
type NavItem struct {
	Label  string
	Path   string
	Group  string // heading the item is listed under
	Active bool
}

// Site is what every page shows about the deployment.
type Site struct {
	WardName   string
	FiscalYear int // current 年度 (西暦 start year)
	Demo       bool
}

// Crumb is one step of a page's breadcrumbs; the last one without a link
// is the page itself.
type Crumb struct {
	Label string
	Path  string // "": the current page (no link)
}

// Page is the data every template receives.
type Page struct {
	Title   string
	User    *User
	CSRF    string
	Nav     []NavItem
	NavHTML template.HTML // Nav rendered by the "nav" template (cached)
	Crumbs  []Crumb       // breadcrumbs of a page below the top level (none on top-level pages)
	Path    string
	Site    Site
	Flash   string
	FlashOK bool
	Data    any
}

// Renderer parses templates once at start and renders pages in the layout.
type Renderer struct {
	base      *template.Template
	errorPage *template.Template
	navPage   *template.Template // executes "nav" alone
	navMu     sync.RWMutex
	navCache  map[string]template.HTML
	pages     map[string]*template.Template
	static    *Static
	log       *slog.Logger
	// Nav builds the navigation for a user; set by the app.
	Nav func(r *http.Request, u *User) []NavItem
	// Site returns deployment facts; set by the app.
	Site func(ctx context.Context) Site
}

// Funcs are the template helpers every page may use.
func (rd *Renderer) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":     func(name string) string { return rd.static.URL(name) },
		"wareki":    func(t time.Time) string { return zeroOr(t, jp.FormatWareki) },
		"warekiDT":  func(t time.Time) string { return zeroOr(t, jp.FormatWarekiDateTime) },
		"fyLabel":   jp.FiscalYearLabel,
		"roleLabel": func(r Role) string { return r.Label() },
		"add":       func(a, b int) int { return a + b },
		"query":     url.QueryEscape,
		"yesno": func(b bool) string {
			if b {
				return "○"
			}
			return ""
		},
		"join":     strings.Join,
		"contains": strings.Contains,
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
	}
}

func zeroOr(t time.Time, f func(time.Time) string) string {
	if t.IsZero() {
		return ""
	}
	return f(t)
}

// NewRenderer parses the shared layout.
func NewRenderer(log *slog.Logger) (*Renderer, error) {
	rd := &Renderer{pages: map[string]*template.Template{}, static: newStatic(), log: log}
	base, err := template.New("base").Funcs(rd.funcs()).ParseFS(layoutFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web.NewRenderer: %w", err)
	}
	rd.base = base
	errT, err := base.Clone()
	if err == nil {
		_, err = errT.Parse(`{{define "content"}}<h1>{{.Title}}</h1><p class="error-status">HTTP {{.Data.Status}}</p><div class="alert alert-error" role="alert">{{.Data.Message}}</div><p><a href="/">ホームへ戻る</a></p>{{end}}`)
	}
	if err != nil {
		return nil, fmt.Errorf("web.NewRenderer: %w", err)
	}
	rd.errorPage = errT
	if rd.navPage, err = base.Clone(); err != nil {
		return nil, fmt.Errorf("web.NewRenderer: %w", err)
	}
	rd.navCache = map[string]template.HTML{}
	rd.Nav = func(*http.Request, *User) []NavItem { return nil }
	rd.Site = func(context.Context) Site { return Site{} }
	return rd, nil
}

// Static returns the asset server.
func (rd *Renderer) Static() *Static { return rd.static }

// Add parses a feature's page templates: each file under dir defines
// "content" (and optionally "head"); pages are named prefix/file-without-ext.
// A file whose name starts with "_" is a partial: it is no page, and the
// templates it defines (a heading shared by an object's pages) are parsed
// into every page of the feature.
func (rd *Renderer) Add(prefix string, fsys fs.FS, dir string) error {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return fmt.Errorf("web.Add %s: %w", prefix, err)
	}
	var partials []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasPrefix(e.Name(), "_") && strings.HasSuffix(e.Name(), ".html") {
			partials = append(partials, dir+"/"+e.Name())
		}
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".html") || strings.HasPrefix(e.Name(), "_") {
			continue
		}
		t, err := rd.base.Clone()
		if err != nil {
			return err
		}
		if _, err := t.ParseFS(fsys, append([]string{dir + "/" + e.Name()}, partials...)...); err != nil {
			return fmt.Errorf("web.Add %s: %w", e.Name(), err)
		}
		rd.pages[prefix+"/"+strings.TrimSuffix(e.Name(), ".html")] = t
	}
	return nil
}

// Pages lists every parsed page name (the template test renders them all).
func (rd *Renderer) Pages() []string {
	var out []string
	for k := range rd.pages {
		out = append(out, k)
	}
	return out
}

// Render writes page name with data inside the layout.
func (rd *Renderer) Render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) error {
	return rd.render(w, r, status, name, title, data, nil)
}

// BulkMarker stands, in a page's data, for a large piece of HTML a handler
// writes in Go (see RenderBulk): the template prints it where the piece
// goes.
const BulkMarker template.HTML = "<!--mamori:bulk-->"

// RenderBulk is Render for a page with a large piece of HTML written in Go
// (a whole questionnaire), which goes where the template printed
// BulkMarker. Printed by the template itself, a 100 KB piece would be
// copied twice more on its way, through a buffer allocated afresh each
// time; here it is copied once, and bulk may be reused after the call.
func (rd *Renderer) RenderBulk(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, bulk []byte) error {
	return rd.render(w, r, status, name, title, data, bulk)
}

func (rd *Renderer) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, bulk []byte) error {
	t, ok := rd.pages[name]
	if !ok {
		return fmt.Errorf("web.Render: no page %q", name)
	}
	p := rd.page(w, r, title, data)
	p.Crumbs = Breadcrumbs(p.Path, title, p.Nav)
	buf := getBuffer()
	defer putBuffer(buf)
	if err := rd.writePage(buf, t, &p); err != nil {
		return fmt.Errorf("web.Render %s: %w", name, err)
	}
	if bulk != nil {
		at := bytes.Index(buf.Bytes(), []byte(BulkMarker))
		if at < 0 {
			return fmt.Errorf("web.RenderBulk %s: the page does not print web.BulkMarker", name)
		}
		tail := getBuffer()
		defer putBuffer(tail)
		tail.Write(buf.Bytes()[at+len(BulkMarker):])
		buf.Truncate(at)
		buf.Write(bulk)
		buf.Write(tail.Bytes())
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// The length is known: the page goes out in one piece, not in chunks
	// (one write to the connection fewer on every page).
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// GetBuffer and PutBuffer lend the page buffers to handlers that write a
// large piece of a page in Go (RenderBulk).
func GetBuffer() *bytes.Buffer  { return getBuffer() }
func PutBuffer(b *bytes.Buffer) { putBuffer(b) }

// Pages are rendered into a buffer first (so a template error still gets
// a clean error page); the buffers are reused, because growing a fresh one
// to a long list's size on every request costs more than the rendering
// around it.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps a rare huge page from pinning its buffer.
const maxPooledBuffer = 4 << 20

func getBuffer() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	bufPool.Put(b)
}

func (rd *Renderer) page(w http.ResponseWriter, r *http.Request, title string, data any) Page {
	u := UserFrom(r.Context())
	p := Page{Title: title, User: u, CSRF: CSRFFrom(r.Context()), Path: r.URL.Path, Site: rd.Site(r.Context()), Data: data}
	if u != nil && !u.MFAPending && !u.MFARequired {
		p.Nav = rd.Nav(r, u)
		p.NavHTML = rd.navHTML(r.Context(), p.Nav)
	}
	if c, err := r.Cookie(flashCookie); err == nil {
		if v, err := url.QueryUnescape(c.Value); err == nil {
			p.FlashOK = strings.HasPrefix(v, "ok:")
			p.Flash = strings.TrimPrefix(strings.TrimPrefix(v, "ok:"), "ng:")
		}
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1})
	}
	return p
}

// Breadcrumbs derives a page's trail from the navigation, so that no
// handler has to declare one: ホーム › the menu entry whose path is the
// longest prefix of path › the page's title when it differs. A top-level
// page (home, or a menu entry itself) and a page without a menu (signed
// out) have none.
func Breadcrumbs(path, title string, nav []NavItem) []Crumb {
	if len(nav) == 0 || path == "/" || path == "" {
		return nil
	}
	var best NavItem
	bestLen := -1
	for _, it := range nav {
		p, _, _ := strings.Cut(it.Path, "?")
		if p == "/" || p == "" {
			continue
		}
		if (path == p || strings.HasPrefix(path, p+"/")) && len(p) > bestLen {
			best, bestLen = it, len(p)
		}
	}
	out := []Crumb{{Label: "ホーム", Path: "/"}}
	if bestLen < 0 {
		return append(out, Crumb{Label: title})
	}
	if p, _, _ := strings.Cut(best.Path, "?"); p == path {
		return nil // a menu entry's own page is top level
	}
	out = append(out, Crumb{Label: best.Label, Path: best.Path})
	if title != "" && title != best.Label {
		out = append(out, Crumb{Label: title})
	}
	return out
}

// maxNavEntries bounds the rendered-menu cache; menus differ only by role
// and current section, so real use stays far below it.
const maxNavEntries = 1024

// navHTML renders the side navigation once per distinct list of items: it
// is the same on every page of a section for every user of a role, and
// rendering its links through the escapers costs more than a small page's
// own content.
func (rd *Renderer) navHTML(ctx context.Context, items []NavItem) template.HTML {
	if len(items) == 0 {
		return ""
	}
	var kb strings.Builder
	for _, it := range items {
		kb.WriteString(it.Label)
		kb.WriteByte(0)
		kb.WriteString(it.Path)
		kb.WriteByte(0)
		kb.WriteString(it.Group)
		if it.Active {
			kb.WriteString("\x00*")
		}
		kb.WriteByte(1)
	}
	key := kb.String()
	rd.navMu.RLock()
	h, ok := rd.navCache[key]
	rd.navMu.RUnlock()
	if ok {
		return h
	}
	var b bytes.Buffer
	if err := rd.navPage.ExecuteTemplate(&b, "nav", items); err != nil {
		rd.log.ErrorContext(ctx, "render navigation", "err", err)
		return ""
	}
	h = template.HTML(b.String()) // produced by html/template, so already escaped
	rd.navMu.Lock()
	if len(rd.navCache) < maxNavEntries {
		rd.navCache[key] = h
	}
	rd.navMu.Unlock()
	return h
}

// Error renders the error page (or plain text when even that fails).
func (rd *Renderer) Error(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Accept"), "application/json") && !strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "{\"error\":%q}\n", msg)
		return
	}
	title := "エラー"
	if status == http.StatusServiceUnavailable {
		title = "一時的に利用できません"
	}
	p := rd.page(w, r, title, map[string]any{"Status": status, "Message": msg})
	buf := getBuffer()
	defer putBuffer(buf)
	if err := rd.writePage(buf, rd.errorPage, &p); err != nil {
		rd.log.Error("render error page", "err", err)
		http.Error(w, msg, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

const flashCookie = "mamori_flash"

// Redirect sends the browser to path with a one-time message.
func Redirect(w http.ResponseWriter, r *http.Request, path, msg string, ok bool) error {
	if msg != "" {
		prefix := "ng:"
		if ok {
			prefix = "ok:"
		}
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(prefix + msg), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

// Render renders a page with the renderer of the router serving r.
func Render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) error {
	rd, ok := r.Context().Value(rendererKey).(*Renderer)
	if !ok {
		return fmt.Errorf("web.Render: no renderer in request context")
	}
	return rd.Render(w, r, status, name, title, data)
}

// RenderBulk renders with the request's renderer (Renderer.RenderBulk).
func RenderBulk(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, bulk []byte) error {
	rd, ok := r.Context().Value(rendererKey).(*Renderer)
	if !ok {
		return fmt.Errorf("web.RenderBulk: no renderer in request context")
	}
	return rd.RenderBulk(w, r, status, name, title, data, bulk)
}
