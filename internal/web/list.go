package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"mamori/internal/jp"
)

// ListSpec describes one list screen: where it lives, what it can be sorted
// and filtered by, and what it says when it is empty. A feature declares one
// ListSpec per list (a package variable) and parses every request with it,
// the export handler included, so that an export holds exactly the rows the
// screen shows. The templates in templates/list.html draw the controls,
// count, sortable headers, pager and empty state from the List it returns.
type ListSpec struct {
	Path        string       // the list's URL path, e.g. "/staff"
	ExportPath  string       // the export handler's path ("" = no export links); it gets ?format=KEY and the filters
	Sorts       []ListSort   // the columns a user may sort by
	DefaultSort string       // key of Sorts used when none is given ("" = the first)
	DefaultDesc bool         // whether the default order is descending
	Filters     []ListFilter // in the order the form shows them
	// Search is the label of the free-text box ("" = no search box) and
	// SearchHint says what it looks through.
	Search, SearchHint string
	Sizes              []int  // page sizes offered; nil = 50, 100, 200
	Noun               string // what a row is, for the empty state: "職員", "改善措置" …
	// Empty is shown when the list has no rows and nothing narrows it:
	// what the user can do to fill it.
	Empty string
	Label string // accessible name of the filter form, e.g. "職員の絞り込み"
}

// ListSort is one sortable column.
type ListSort struct{ Key, Label string }

// FilterKind is how a filter is entered.
type FilterKind int

const (
	FilterSelect FilterKind = iota // one of Options
	FilterText                     // free text
	FilterDate                     // a date, YYYY-MM-DD (type=date)
	FilterCheck                    // a check box whose value is "1"
)

// ListFilter is one filter of a list.
type ListFilter struct {
	Key, Label string
	Kind       FilterKind
	// Options are the allowed values of a select, in order. A select
	// whose options depend on the request (departments in scope, years)
	// gets them from List.SetOptions before rendering; a value outside the
	// options is refused beside the field.
	Options []ListOption
	// Any is the label of the empty choice of a select ("" = "すべて").
	Any  string
	Hint string
	// Canon turns a typed value into the canonical one (「令和7年度」 into
	// 2025, say) or returns a Japanese message; it runs before the value is
	// checked against the options.
	Canon func(string) (string, string)
}

// FiscalYearFilter is the 年度 filter: 2025, 「令和7年度」 and 「R7」 all
// mean 2025. Its options come per request (the years that have data).
func FiscalYearFilter(key string) ListFilter {
	return ListFilter{Key: key, Label: "年度", Canon: func(v string) (string, string) {
		fy, err := jp.ParseFiscalYear(v)
		if err != nil {
			return "", "年度の指定が正しくありません（例: 令和8年度、2026）。"
		}
		return strconv.Itoa(fy), ""
	}}
}

// FiscalYearOptions are the choices of a FiscalYearFilter.
func FiscalYearOptions(years []int) []ListOption {
	out := make([]ListOption, 0, len(years))
	for _, y := range years {
		out = append(out, ListOption{Value: strconv.Itoa(y), Label: jp.FiscalYearLabel(y)})
	}
	return out
}

// ListOption is one choice of a select filter.
type ListOption struct{ Value, Label string }

// maxPage bounds the page number a URL may ask for.
const maxPage = 1_000_000

// defaultSizes are the page sizes offered when a spec names none.
var defaultSizes = []int{50, 100, 200}

// List is one request's view of a list: the filters as typed (kept in the
// form even when wrong), the valid ones (which build the links and the
// query), the order, the page and, once the handler has counted, the total.
type List struct {
	Spec    *ListSpec
	Filters []ListFilter // the spec's filters with per-request options
	raw     url.Values   // as typed, for the form
	valid   url.Values   // the canonical query: valid filters, q, sort, dir, size
	Errors  map[string]string
	Q       string // the search text (trimmed)
	Sort    string
	Desc    bool
	Page    int
	Size    int
	Total   int
	Pages   int
	// Asked is the page the URL asked for when it is past the last page
	// (the list is then empty and says so).
	Asked int
	// Empty replaces the spec's empty-state text for this request (a
	// reader who cannot fill the list is told who does).
	Empty string
}

// EmptyText is what an empty, unfiltered list says.
func (l *List) EmptyText() string {
	if l.Empty != "" {
		return l.Empty
	}
	return l.Spec.Empty
}

// Parse reads a list request. It never fails: a wrong filter value is
// dropped from the query and reported in Errors beside its field, with the
// input kept in the form.
func (s *ListSpec) Parse(r *http.Request) *List {
	return s.ParseValues(r.URL.Query())
}

// ParseValues is Parse for a query already read.
func (s *ListSpec) ParseValues(q url.Values) *List {
	l := &List{Spec: s, Filters: slices.Clone(s.Filters), raw: q, valid: url.Values{}, Errors: map[string]string{}, Page: 1}
	sizes := s.sizes()
	l.Size = sizes[0]
	if n, err := strconv.Atoi(q.Get("size")); err == nil && slices.Contains(sizes, n) && n != sizes[0] {
		l.Size = n
		l.valid.Set("size", strconv.Itoa(n))
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 {
		l.Page = min(n, maxPage) // a huge number must not overflow Offset
	}
	if s.Search != "" {
		if v := strings.TrimSpace(q.Get("q")); v != "" {
			if len(v) > 200 {
				l.Errors["q"] = "検索語は 200 バイト以内で入力してください。"
			} else {
				l.Q = v
				l.valid.Set("q", v)
			}
		}
	}
	l.Sort = s.DefaultSort
	if l.Sort == "" && len(s.Sorts) > 0 {
		l.Sort = s.Sorts[0].Key
	}
	l.Desc = s.DefaultDesc
	if k := q.Get("sort"); k != "" {
		if slices.ContainsFunc(s.Sorts, func(c ListSort) bool { return c.Key == k }) {
			l.Sort = k
			l.valid.Set("sort", k)
			l.Desc = q.Get("dir") == "desc"
			if l.Desc {
				l.valid.Set("dir", "desc")
			}
		} else {
			l.Errors["sort"] = "並べ替えの指定が正しくありません。"
		}
	}
	for _, f := range s.Filters {
		v := strings.TrimSpace(q.Get(f.Key))
		if v == "" {
			continue
		}
		canon := f.Canon
		if canon == nil && f.Kind == FilterDate {
			canon = canonDate(f.Label)
		}
		if canon != nil {
			c, msg := canon(v)
			if msg != "" {
				l.Errors[f.Key] = msg
				continue
			}
			v = c
		}
		if msg := f.check(v); msg != "" {
			l.Errors[f.Key] = msg
			continue
		}
		l.valid.Set(f.Key, v)
	}
	return l
}

// canonDate reads a date filter written any way jp.ParseDate reads
// (2026/4/1, 令和8年4月1日, R8.4.1 …) as YYYY-MM-DD, the one form of the
// links and the date field.
func canonDate(label string) func(string) (string, string) {
	return func(v string) (string, string) {
		t, err := jp.ParseDate(v)
		if err != nil {
			return "", label + "「" + v + "」は日付として読めません。2026-04-01 や 令和8年4月1日 の形で入力してください。"
		}
		return t.Format("2006-01-02"), ""
	}
}

func (s *ListSpec) sizes() []int {
	if len(s.Sizes) > 0 {
		return s.Sizes
	}
	return defaultSizes
}

// check validates one typed value; options given per request are checked
// again by SetOptions.
func (f ListFilter) check(v string) string {
	switch f.Kind {
	case FilterDate:
		if _, err := time.Parse("2006-01-02", v); err != nil {
			return f.Label + "は 2026-04-01 の形で入力してください。"
		}
	case FilterCheck:
		if v != "1" {
			return f.Label + "の指定が正しくありません。"
		}
	case FilterSelect:
		if f.Options != nil && !slices.ContainsFunc(f.Options, func(o ListOption) bool { return o.Value == v }) {
			return f.Label + "の指定が正しくありません。一覧から選んでください。"
		}
	case FilterText:
		if len(v) > 200 {
			return f.Label + "は 200 バイト以内で入力してください。"
		}
	}
	return ""
}

// SetOptions gives a select filter its choices for this request (the
// departments the user may see, the years that exist) and refuses a chosen
// value that is not among them.
func (l *List) SetOptions(key string, opts []ListOption) {
	for i := range l.Filters {
		if l.Filters[i].Key != key {
			continue
		}
		l.Filters[i].Options = opts
		if v := l.valid.Get(key); v != "" && !slices.ContainsFunc(opts, func(o ListOption) bool { return o.Value == v }) {
			l.valid.Del(key)
			l.Errors[key] = l.Filters[i].Label + "の指定が正しくありません。一覧から選んでください。"
		}
	}
}

// Value is a filter's valid value ("" when absent or refused).
func (l *List) Value(key string) string { return l.valid.Get(key) }

// Int64 is a filter's valid value as a number (0 when absent or refused).
func (l *List) Int64(key string) int64 {
	n, _ := strconv.ParseInt(l.valid.Get(key), 10, 64)
	return n
}

// Date is a date filter's valid value (zero when absent or refused).
func (l *List) Date(key string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", l.valid.Get(key), jp.JST)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Get is what the user typed into a field, kept in the form.
func (l *List) Get(key string) string { return l.raw.Get(key) }

// Shown is what a field shows: the canonical value when the input was
// accepted (「令和8年4月1日」 typed into the URL shows as 2026-04-01 in a
// date field, which cannot show anything else), else what was typed.
func (l *List) Shown(key string) string {
	if v := l.valid.Get(key); v != "" {
		return v
	}
	return l.raw.Get(key)
}

// Error is the message beside a field ("" when it is fine).
func (l *List) Error(key string) string { return l.Errors[key] }

// Refuse reports a filter value the handler found wrong (for example a
// department outside the user's scope) beside its field, and drops it.
func (l *List) Refuse(key, msg string) {
	l.valid.Del(key)
	l.Errors[key] = msg
}

// Err is the refused values as one error (nil when there are none). An
// export or a document checks it, since it has no form to show them
// beside: a file must never hold more than the user asked for.
func (l *List) Err() error {
	if len(l.Errors) == 0 {
		return nil
	}
	msgs := make([]string, 0, len(l.Errors))
	for _, m := range l.Errors {
		msgs = append(msgs, m)
	}
	slices.Sort(msgs)
	return Invalid("%s", strings.Join(msgs, " "))
}

// Words is the search text folded for matching (see jp.SearchWords).
func (l *List) Words() []string { return jp.SearchWords(l.Q) }

// Filtered reports whether anything narrows the list.
func (l *List) Filtered() bool {
	for k := range l.valid {
		if k != "sort" && k != "dir" && k != "size" {
			return true
		}
	}
	return false
}

// Limit and Offset are the rows of the current page.
func (l *List) Limit() int  { return l.Size }
func (l *List) Offset() int { return (l.Page - 1) * l.Size }

// SetTotal records how many rows match. A page past the last one leaves
// the list empty with a message and a link to the last page.
func (l *List) SetTotal(n int) {
	l.Total = n
	l.Pages = (n + l.Size - 1) / l.Size
	if l.Page > max(l.Pages, 1) {
		l.Asked = l.Page
	}
}

// First and Last are the positions of the page's rows (1-based) for the
// count 「N 件中 First–Last 件」.
func (l *List) First() int {
	if l.Total == 0 || l.Asked > 0 {
		return 0
	}
	return l.Offset() + 1
}

func (l *List) Last() int {
	if l.First() == 0 {
		return 0
	}
	return min(l.Offset()+l.Size, l.Total)
}

// link is the list's path with the canonical query changed by kv pairs
// (an empty value removes the key).
func (l *List) link(path string, kv ...string) string {
	q := url.Values{}
	for k, vs := range l.valid {
		q[k] = slices.Clone(vs)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	if e := q.Encode(); e != "" {
		return path + "?" + e
	}
	return path
}

// At is another path (a document of the list, say) with the list's
// filters and order, changed by kv pairs.
func (l *List) At(path string, kv ...string) string { return l.link(path, append(kv, "size", "")...) }

// Link is the list with some filters changed (back to page 1): summary
// links such as "the rows of this status" use it.
func (l *List) Link(kv ...string) string { return l.link(l.Spec.Path, kv...) }

// Only is the list narrowed to the given filter values (key, value pairs)
// and nothing else, the order and page size kept: links from a summary
// table, such as a chapter × status cell.
func (l *List) Only(kv ...string) string {
	q := url.Values{}
	for _, k := range []string{"sort", "dir", "size"} {
		if v := l.valid.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if e := q.Encode(); e != "" {
		return l.Spec.Path + "?" + e
	}
	return l.Spec.Path
}

// PageLink is page n with the same filters and order.
func (l *List) PageLink(n int) string {
	if n <= 1 {
		return l.link(l.Spec.Path)
	}
	return l.link(l.Spec.Path, "page", strconv.Itoa(n))
}

// SortLink orders by key, reversing the order when the list is already
// sorted by it; it goes back to page 1.
func (l *List) SortLink(key string) string {
	dir := ""
	if l.Sort == key && !l.Desc {
		dir = "desc"
	}
	return l.link(l.Spec.Path, "sort", key, "dir", dir)
}

// SortState is a column's aria-sort value.
func (l *List) SortState(key string) string {
	switch {
	case l.Sort != key:
		return "none"
	case l.Desc:
		return "descending"
	}
	return "ascending"
}

// SortLabel is the column's label for a header.
func (l *List) SortLabel(key string) string {
	for _, s := range l.Spec.Sorts {
		if s.Key == key {
			return s.Label
		}
	}
	return key
}

// ExportLink is the export of exactly the filtered rows in a format.
func (l *List) ExportLink(format string) string {
	return l.link(l.Spec.ExportPath, "format", format, "size", "")
}

// SizeLink is the first page at another page size.
func (l *List) SizeLink(n int) string {
	v := ""
	if n != l.Spec.sizes()[0] {
		v = strconv.Itoa(n)
	}
	return l.link(l.Spec.Path, "size", v)
}

// Sizes are the page sizes offered.
func (l *List) Sizes() []int { return l.Spec.sizes() }

// Hidden are the canonical query values the filter form must carry along
// unchanged (the order and the page size).
func (l *List) Hidden() []ListOption {
	var out []ListOption
	for _, k := range []string{"sort", "dir", "size"} {
		if v := l.valid.Get(k); v != "" {
			out = append(out, ListOption{Value: v, Label: k})
		}
	}
	return out
}

// PageItem is one entry of the pager: a page number, the current page, or
// a gap.
type PageItem struct {
	N       int
	Link    string
	Current bool
	Gap     bool
}

// PageItems are the page numbers to offer: the first, the last and two on
// either side of the current one, with gaps between.
func (l *List) PageItems() []PageItem {
	if l.Pages <= 1 {
		return nil
	}
	var out []PageItem
	last := 0
	for n := 1; n <= l.Pages; n++ {
		if n != 1 && n != l.Pages && (n < l.Page-2 || n > l.Page+2) {
			continue
		}
		if last != 0 && n > last+1 {
			out = append(out, PageItem{Gap: true})
		}
		out = append(out, PageItem{N: n, Link: l.PageLink(n), Current: n == l.Page})
		last = n
	}
	return out
}

// Options are a filter's choices for the form, as given to SetOptions or
// in the spec.
func (l *List) Options(key string) []ListOption {
	for _, f := range l.Filters {
		if f.Key == key {
			return f.Options
		}
	}
	return nil
}
