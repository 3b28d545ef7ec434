package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func TestPathID(t *testing.T) {
	for _, c := range []struct {
		value string
		want  int64
		ok    bool
	}{{"12", 12, true}, {"0", 0, false}, {"-3", 0, false}, {"abc", 0, false}, {"", 0, false}, {"99999999999999999999", 0, false}} {
		r := httptest.NewRequest("GET", "/x", nil)
		r.SetPathValue("id", c.value)
		got, err := PathID(r, "id")
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("%q: %d %v", c.value, got, err)
		}
		var we *Error
		if !c.ok && (!errors.As(err, &we) || we.Status != http.StatusNotFound) {
			t.Errorf("%q: %v, want 404", c.value, err)
		}
	}
}

func TestRoleSet(t *testing.T) {
	editors := NewRoleSet(RoleAdmin, RoleConsultant)
	rule := editors.Rule()
	for _, role := range AllRoles {
		_, permitted := rule.Permits(role)
		want := role == RoleAdmin || role == RoleConsultant
		if permitted != want || editors.Has(role) != want || editors.HasUser(&User{Role: role}) != want {
			t.Errorf("%s: rule %v, has %v, want %v", role, permitted, editors.Has(role), want)
		}
	}
	if editors.HasUser(nil) {
		t.Error("nobody signed in is an editor")
	}
	r := httptest.NewRequest("GET", "/", nil)
	if editors.Allows(r) {
		t.Error("a request without a user is allowed")
	}
	if !editors.Allows(r.WithContext(WithUser(r.Context(), &User{Role: RoleConsultant}, ScopeAll))) {
		t.Error("a consultant is not allowed")
	}
}

// uploadRequest is a multipart POST with one file, its form parsed with
// a small memory limit so that the file goes to a temporary file.
func uploadRequest(t *testing.T, name string, data []byte) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if name != "" {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	_ = mw.WriteField("note", "x")
	_ = mw.Close()
	r := httptest.NewRequest("POST", "/upload", &buf)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if err := r.ParseMultipartForm(16); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestUploadRead(t *testing.T) {
	zipData := append([]byte("PK\x03\x04"), bytes.Repeat([]byte("x"), 100)...)
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 100)...)
	sjis := []byte{0x8f, 0x8a, 0x91, 0xae, ',', 0x8e, 0x81, 0x96, 0xbc, '\r', '\n'} // 所属,氏名 in Shift_JIS
	xlsxOnly := Upload{MaxBytes: 1 << 20, Types: []FileType{XLSX}, Fallback: "checklist.xlsx"}
	roster := Upload{MaxBytes: 1 << 20, Types: []FileType{CSV, XLSX}}
	for _, c := range []struct {
		name   string
		up     Upload
		file   string
		data   []byte
		status int    // 0: accepted
		want   string // in the message, or the accepted file's name
	}{
		{"xlsx", xlsxOnly, "チェックリスト.xlsx", zipData, 0, "チェックリスト.xlsx"},
		{"upper-case extension", xlsxOnly, "LIST.XLSX", zipData, 0, "LIST.XLSX"},
		{"csv where xlsx is wanted", xlsxOnly, "名簿.csv", []byte("a,b\n"), 400, "名簿.csv: Excel（.xlsx）のファイルではありません"},
		{"xlsx name, text inside", xlsxOnly, "表.xlsx", []byte("No,状況\n"), 400, "Excel（.xlsx）のファイルではありません"},
		{"xls or encrypted", xlsxOnly, "古い.xlsx", ole, 400, "パスワード付き"},
		{"pdf as csv", roster, "x.pdf", []byte("%PDF-1.4 \x00\x01\x02"), 400, "CSV・Excel（.xlsx）のファイルではありません"},
		{"zip named csv", roster, "名簿.csv", zipData, 400, "拡張子（.csv）が内容（Excel（.xlsx））と合っていません"},
		{"shift_jis csv", roster, "名簿.csv", sjis, 0, "名簿.csv"},
		{"empty", roster, "empty.csv", nil, 400, "empty.csv: ファイルが空です"},
		{"too large", roster, "big.csv", bytes.Repeat([]byte("a,b\n"), 300<<10), 413, "big.csv: ファイルが大きすぎます（1.2 MB。上限 1 MB）"},
		{"no file", roster, "", nil, 400, "取り込むファイル（CSV・Excel（.xlsx））を選んでください"},
		{"path, control and direction characters", xlsxOnly, `C:\Users\職員\a` + "\u202e\t" + `b.xlsx`, zipData, 0, "ab.xlsx"},
		{"no name left", xlsxOnly, `C:\dir\`, zipData, 0, "checklist.xlsx"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			r := uploadRequest(t, c.file, c.data)
			f, err := c.up.Read(r)
			if c.status == 0 {
				if err != nil || f.Name != c.want || !bytes.Equal(f.Data, c.data) {
					t.Fatalf("%v %+v", err, f)
				}
			} else {
				var we *Error
				if !errors.As(err, &we) || we.Status != c.status || !strings.Contains(we.Msg, c.want) {
					t.Fatalf("got %v, want %d %q", err, c.status, c.want)
				}
			}
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Fatalf("temporary files left: %v", left)
			}
		})
	}
}

type recorder struct{ entries []string }

func (r *recorder) Record(_ context.Context, action, target, detail string) error {
	r.entries = append(r.entries, action+"|"+target+"|"+detail)
	return nil
}

func TestSend(t *testing.T) {
	log := &recorder{}
	r := httptest.NewRequest("GET", "/x", nil)
	w := httptest.NewRecorder()
	d := Download{Name: "条項対応表_mic-policy/hinode.xlsx", ContentType: "application/x-test", Target: "framework:3"}
	if err := Send(w, r, log, d, func(out io.Writer) error { _, err := out.Write([]byte("body")); return err }); err != nil {
		t.Fatal(err)
	}
	h := w.Result().Header
	if h.Get("Content-Type") != "application/x-test" || h.Get("Cache-Control") != "no-store" || w.Body.String() != "body" {
		t.Fatalf("headers %v body %q", h, w.Body.String())
	}
	want := `attachment; filename="mic-policyhinode.xlsx"; filename*=UTF-8''%E6%9D%A1%E9%A0%85%E5%AF%BE%E5%BF%9C%E8%A1%A8_mic-policy%EF%BC%8Fhinode.xlsx`
	if got := h.Get("Content-Disposition"); got != want {
		t.Fatalf("Content-Disposition\n got %s\nwant %s", got, want)
	}
	if len(log.entries) != 1 || log.entries[0] != "download|framework:3|条項対応表_mic-policy／hinode.xlsx（4 バイト）" {
		t.Fatalf("audit %v", log.entries)
	}

	// A file that cannot be made is neither sent nor recorded.
	w = httptest.NewRecorder()
	err := Send(w, r, log, d, func(io.Writer) error { return errors.New("broken") })
	if err == nil || len(log.entries) != 1 || w.Body.Len() != 0 || w.Header().Get("Content-Disposition") != "" {
		t.Fatalf("failed render: %v, %d entries", err, len(log.entries))
	}
}

func TestFileNames(t *testing.T) {
	for _, c := range []struct{ name, file, ascii string }{
		{"新旧対照表.pdf", "新旧対照表.pdf", "download.pdf"},
		{"チェックリスト_令和8年度.xlsx", "チェックリスト_令和8年度.xlsx", "download.xlsx"},
		{"a\x00b:c?.docx", "ab：c？.docx", "abc.docx"},
		{"report", "report", "report"},
		{" ", "download", "download"},
		{`"quoted"; x.csv`, "”quoted”; x.csv", "quotedx.csv"},
	} {
		if got := FileName(c.name); got != c.file {
			t.Errorf("FileName(%q) = %q, want %q", c.name, got, c.file)
		}
		if got := asciiName(FileName(c.name)); got != c.ascii {
			t.Errorf("asciiName(%q) = %q, want %q", c.name, got, c.ascii)
		}
	}
	if got := JoinFileName("pdf", "対策基準", "", " 新旧対照表 "); got != "対策基準_新旧対照表.pdf" {
		t.Errorf("JoinFileName: %q", got)
	}
	if got := encode5987("a b%\"'"); got != "a%20b%25%22%27" {
		t.Errorf("encode5987: %q", got)
	}
}
