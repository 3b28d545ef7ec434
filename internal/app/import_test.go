package app

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"
)

// upload posts a file to the roster import form.
func (c *client) upload(path, name string, data []byte, fields url.Values) (*http.Response, string) {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf_token", c.csrf())
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", c.base)
	resp, err := c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp, b.String()
}

func sjis(t *testing.T, lines ...string) []byte {
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var jobRe = regexp.MustCompile(`^/jobs/(\d+)$`)

func TestImportThroughTheWeb(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ta := newTestApp(t, dsn, true, nil)
		c := ta.as("admin")
		var code string
		if err := ta.DB.QueryRow(t.Context(), "SELECT code FROM departments WHERE name = '住民記録係'").Scan(&code); err != nil {
			t.Fatal(err)
		}
		head := "所属コード,職員番号,氏名,フリガナ,メールアドレス"
		bad := sjis(t, head, code+",900001,髙橋　一郎,タカハシ　イチロウ,a@example.jp", code+",900002,山﨑　花子,ヤマザキ　ハナコ,not-an-address")
		good := sjis(t, head, code+",900001,髙橋　一郎,タカハシ　イチロウ,a@example.jp", code+",900002,山﨑　花子,ヤマザキ　ハナコ,b@example.jp")

		// Wrong file type, empty file: refused on the form, nothing stored.
		for name, data := range map[string][]byte{"x.pdf": []byte("%PDF-1.4 ..."), "empty.csv": {}} {
			resp, body := c.upload("/staff/import", name, data, url.Values{"partial": {"1"}})
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "alert-error") {
				t.Fatalf("%s: %d", name, resp.StatusCode)
			}
		}
		big := bytes.Repeat([]byte("000001,山田　太郎\r\n"), 21<<20/20)
		if resp, body := c.upload("/staff/import", "big.csv", big, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "ファイルが大きすぎます") {
			t.Fatalf("21 MB file: %d", resp.StatusCode)
		}
		var blobs int
		_ = ta.DB.QueryRow(t.Context(), "SELECT COUNT(*) FROM blobs").Scan(&blobs)
		if blobs != 0 {
			t.Fatalf("refused files were stored: %d", blobs)
		}

		resp, _ := c.upload("/staff/import", "名簿.csv", bad, url.Values{"partial": {"1"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("upload: %d", resp.StatusCode)
		}
		preview := resp.Header.Get("Location")
		_, body := c.get(preview)
		if !strings.Contains(body, "取り込めません") || !strings.Contains(body, "not-an-address") {
			t.Fatalf("preview does not show the bad row")
		}
		applyPath := strings.Replace(strings.SplitN(preview, "?", 2)[0], "/preview", "/apply", 1)
		q, _ := url.ParseQuery(strings.SplitN(preview, "?", 2)[1])
		q.Set("csrf_token", c.csrf())
		if resp, _ := c.post(applyPath, q); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("apply with errors: %d", resp.StatusCode)
		}
		var n int
		_ = ta.DB.QueryRow(t.Context(), "SELECT COUNT(*) FROM staff WHERE employee_no LIKE '9000%'").Scan(&n)
		if n != 0 {
			t.Fatalf("bad file wrote %d staff", n)
		}

		resp, _ = c.upload("/staff/import", "名簿.csv", good, url.Values{"partial": {"1"}})
		preview = resp.Header.Get("Location")
		_, body = c.get(preview)
		if !strings.Contains(body, "エラーはありません") {
			t.Fatalf("good preview: %s", body)
		}
		applyPath = strings.Replace(strings.SplitN(preview, "?", 2)[0], "/preview", "/apply", 1)
		q, _ = url.ParseQuery(strings.SplitN(preview, "?", 2)[1])
		q.Set("csrf_token", c.csrf())
		resp, _ = c.post(applyPath, q)
		m := jobRe.FindStringSubmatch(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || m == nil {
			t.Fatalf("apply: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		ta.Jobs.Wait()
		_, page := c.get("/jobs/" + m[1])
		if !strings.Contains(page, "完了しました") || !strings.Contains(page, "新規 2 人") {
			t.Fatalf("job page: %s", page)
		}
		req, _ := http.NewRequest(http.MethodGet, c.base+"/jobs/"+m[1], nil)
		req.Header.Set("Accept", "application/json")
		jr, err := c.Do(req)
		if err != nil || jr.StatusCode != 200 || !strings.HasPrefix(jr.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("job json: %v", err)
		}
		jr.Body.Close()
		_, list := c.get("/staff?q=" + url.QueryEscape("山﨑"))
		if !strings.Contains(list, "山﨑　花子") {
			t.Fatal("imported person not listed")
		}
		// Only the job's owner (or an admin) may see it; to anyone else it
		// does not exist.
		if resp, _ := ta.as("consultant").get(fmt.Sprintf("/jobs/%s", m[1])); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("other user sees job: %d", resp.StatusCode)
		}
		_ = time.Second
	})
}
