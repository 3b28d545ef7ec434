package policy_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// inflatingDOCX is a DOCX of a few hundred KB whose word/document.xml
// inflates to size bytes of ordinary numbered paragraphs.
func inflatingDOCX(t *testing.T, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	p := []byte(`<w:p><w:r><w:t>第1条　` + strings.Repeat("職員等は、情報資産を適切に管理しなければならない。", 20) + `</w:t></w:r></w:p>`)
	n, _ := f.Write([]byte(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`))
	for n < size {
		k, _ := f.Write(p)
		n += k
	}
	_, _ = f.Write([]byte(`</w:body></w:document>`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportLimitsAndPaging: an inflating DOCX is refused with the limit
// named and nothing kept; a long regulation previews a page at a time, from
// the uploaded file and from edited text alike.
func TestImportLimitsAndPaging(t *testing.T) {
	s, _ := start(t)
	admin := s.As("admin")
	r := admin.Post("/policy/documents", url.Values{"kind": {"standard"}, "title": {"長い規程"}}).Want(http.StatusSeeOther)
	docPath := strings.TrimSuffix(r.Header.Get("Location"), "/import")
	docID := strings.TrimPrefix(docPath, "/policy/documents/")

	count := func() [2]int {
		return [2]int{s.Count("SELECT COUNT(*) FROM blobs"), s.Count("SELECT COUNT(*) FROM audit_log")}
	}
	before := count()
	bomb := inflatingDOCX(t, 60<<20)
	if len(bomb) > 1<<20 {
		t.Fatalf("test DOCX is %d bytes", len(bomb))
	}
	upload(admin, docPath+"/import", "bomb.docx", bomb).Want(http.StatusBadRequest, "本文が長すぎます", "2,000,000 文字まで", "展開すると 60.0 MB", "何も登録していません")
	if count() != before {
		t.Fatal("a refused upload left something behind")
	}

	// 250 articles, each with its first paragraph: 500 rows, 3 pages.
	var text strings.Builder
	text.WriteString("長い規程\n")
	for i := 1; i <= 250; i++ {
		n := i
		if i == 150 {
			n = 1500 // a doubtful number, on page 2
		}
		fmt.Fprintf(&text, "第%d条　職員は、規程%dを守る。\n", n, i)
	}
	preview := upload(admin, docPath+"/import", "long.txt", []byte(text.String())).Want(http.StatusSeeOther).Header.Get("Location")
	blobPath := strings.TrimSuffix(strings.SplitN(preview, "?", 2)[0], "/preview")
	label := func(n int) string { return fmt.Sprintf(`<td class="code lbl">第%d条</td>`, n) }
	rows := regexp.MustCompile(`<tr class="d\d">`)

	body := admin.Get(preview).Want(http.StatusOK, "500 個の規定（章・条・項・号など）のうち 1〜200 個目（1 / 3 ページ）", label(1), label(100),
		`page=2">2</a>`, `page=2">次のページ</a>`, `「注意」のある規定の一覧のページ: <a href="`+blobPath+`/preview?doc=`+docID+`&amp;page=2">2</a>`).Body
	if strings.Contains(body, label(101)) || len(rows.FindAllString(body, -1)) != 200 {
		t.Fatalf("page 1 lists %d rows", len(rows.FindAllString(body, -1)))
	}
	body = admin.Get(preview+"&page=2").Want(http.StatusOK, "201〜400 個目（2 / 3 ページ）", label(101), label(200), `page=1">前のページ</a>`).Body
	if strings.Contains(body, label(100)) || strings.Contains(body, label(201)) {
		t.Fatal("page 2 lists rows of other pages")
	}
	if !regexp.MustCompile(`第1500条</td><td></td><td>[^<]*</td><td class="warn">[^<]+</td>`).MatchString(body) {
		t.Fatal("the warning is not shown next to 第1500条 on page 2")
	}
	// The whole text stays in the form, whatever the page.
	if !strings.Contains(body, "規程250を守る") {
		t.Fatal("the text area lacks the end of the document")
	}

	// Edited text: page buttons post it again; the page shows the edit.
	edited := strings.Replace(text.String(), "規程250を守る", "規程二百五十を守る", 1)
	body = admin.Post(blobPath+"/preview", url.Values{"doc": {docID}, "text": {edited}, "page": {"3"}}).Want(http.StatusOK, "401〜500 個目（3 / 3 ページ）", label(250), "規程二百五十を守る",
		`form="import-form" formaction="`+blobPath+`/preview" name="page" value="2"`).Body
	if strings.Contains(body, "修正した本文を解析し直しました") || strings.Contains(body, label(200)) {
		t.Fatal("turning the page of edited text is shown as a re-parse, or shows other rows")
	}
	// An out-of-range page shows the last one.
	admin.Get(preview+"&page=99").Want(http.StatusOK, "3 / 3 ページ", label(250))
}
