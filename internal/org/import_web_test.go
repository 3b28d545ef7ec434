package org_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"mamori/internal/webtest"
)

func sjis(t *testing.T, lines ...string) []byte {
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var jobRe = regexp.MustCompile(`^/jobs/(\d+)$`)

// TestImportThroughTheWeb: the roster import refuses wrong, empty and
// oversized files, previews a file with a bad row and refuses to apply it,
// then applies a good file as a job that only its owner can see.
func TestImportThroughTheWeb(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
		c := s.As("admin")
		var code string
		if err := s.DB.QueryRow(t.Context(), "SELECT code FROM departments WHERE name = '住民記録係'").Scan(&code); err != nil {
			t.Fatal(err)
		}
		head := "所属コード,職員番号,氏名,フリガナ,メールアドレス"
		bad := sjis(t, head, code+",900001,髙橋　一郎,タカハシ　イチロウ,a@example.jp", code+",900002,山﨑　花子,ヤマザキ　ハナコ,not-an-address")
		good := sjis(t, head, code+",900001,髙橋　一郎,タカハシ　イチロウ,a@example.jp", code+",900002,山﨑　花子,ヤマザキ　ハナコ,b@example.jp")

		// Wrong file type, empty file: refused on the form, nothing stored.
		blobs := s.Count("SELECT COUNT(*) FROM blobs")
		for name, data := range map[string][]byte{"x.pdf": []byte("%PDF-1.4 ..."), "empty.csv": {}} {
			c.Upload("/staff/import", url.Values{"partial": {"1"}}, "file", name, data).Want(http.StatusBadRequest, "alert-error")
		}
		big := bytes.Repeat([]byte("000001,山田　太郎\r\n"), 21<<20/20)
		c.Upload("/staff/import", nil, "file", "big.csv", big).Want(http.StatusBadRequest, "ファイルが大きすぎます")
		if n := s.Count("SELECT COUNT(*) FROM blobs") - blobs; n != 0 {
			t.Fatalf("refused files were stored: %d", n)
		}

		r := c.Upload("/staff/import", url.Values{"partial": {"1"}}, "file", "名簿.csv", bad).Want(http.StatusSeeOther)
		preview := r.Header.Get("Location")
		c.Get(preview).Want(http.StatusOK, "取り込めません", "not-an-address")
		applyPath := strings.Replace(strings.SplitN(preview, "?", 2)[0], "/preview", "/apply", 1)
		q, _ := url.ParseQuery(strings.SplitN(preview, "?", 2)[1])
		c.Post(applyPath, q).Want(http.StatusBadRequest)
		if n := s.Count("SELECT COUNT(*) FROM staff WHERE employee_no LIKE '9000%'"); n != 0 {
			t.Fatalf("bad file wrote %d staff", n)
		}

		preview = c.Upload("/staff/import", url.Values{"partial": {"1"}}, "file", "名簿.csv", good).Want(http.StatusSeeOther).Header.Get("Location")
		c.Get(preview).Want(http.StatusOK, "エラーはありません")
		applyPath = strings.Replace(strings.SplitN(preview, "?", 2)[0], "/preview", "/apply", 1)
		q, _ = url.ParseQuery(strings.SplitN(preview, "?", 2)[1])
		r = c.Post(applyPath, q).Redirects("/jobs/")
		m := jobRe.FindStringSubmatch(r.Header.Get("Location"))
		if m == nil {
			t.Fatalf("apply: %s", r.Header.Get("Location"))
		}
		s.Jobs.Wait()
		c.Get("/jobs/"+m[1]).Want(http.StatusOK, "完了しました", "新規 2 人")
		req, _ := http.NewRequest(http.MethodGet, c.Base+"/jobs/"+m[1], nil)
		req.Header.Set("Accept", "application/json")
		if jr := c.Do(req).Want(http.StatusOK); !strings.HasPrefix(jr.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("job json: %s", jr.Header.Get("Content-Type"))
		}
		c.Get("/staff?q="+url.QueryEscape("山﨑")).Want(http.StatusOK, "山﨑　花子")
		// Only the job's owner (or an admin) may see it; to anyone else it
		// does not exist.
		s.As("consultant").Get("/jobs/" + m[1]).Want(http.StatusNotFound)
	})
}
