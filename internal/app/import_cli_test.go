package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"mamori/internal/webtest"
)

// TestImportCLIRefusesWipingTheRoster: `mamori import staff` of a five-row
// file against the demo ward (issue 10) prints the numbers and refuses,
// writing nothing, unless --retire-missing says it is meant; an unknown
// department code is an error naming its row and column unless
// --create-departments; --dry-run writes nothing; --partial retires nobody.
func TestImportCLIRefusesWipingTheRoster(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, dir, "", "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errs)
	}
	if code, _, errs := run(t, dir, "", "demo"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	counts := func() (active, staff, imports int) {
		a := webtest.Open(t, dir)
		defer a.Close()
		ctx := context.Background()
		for q, dst := range map[string]*int{
			"SELECT COUNT(*) FROM staff WHERE active = TRUE":               &active,
			"SELECT COUNT(*) FROM staff":                                   &staff,
			"SELECT COUNT(*) FROM audit_log WHERE action = 'staff.import'": &imports,
		} {
			if err := a.DB.QueryRow(ctx, q).Scan(dst); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	var dept string
	a := webtest.Open(t, dir)
	if err := a.DB.QueryRow(context.Background(), "SELECT code FROM departments WHERE name = '住民記録係'").Scan(&dept); err != nil {
		t.Fatal(err)
	}
	a.Close()
	active, staff, _ := counts()

	write := func(name string, lines ...string) string {
		b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(strings.Join(lines, "\r\n") + "\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rows := []string{"900001,髙橋　一郎," + dept, "900002,山﨑　花子," + dept, "900003,渡辺　三郎," + dept, "900004,田中　四郎," + dept, "900005,伊藤　五郎," + dept}
	unknown := write("unknown.csv", "職員番号,氏名,所属コード,所属名", rows[0]+",住民記録係", rows[1]+",住民記録係", "900003,渡辺　三郎,099999,区民部 戸籍住民課 住民記録係")
	five := write("five.csv", append([]string{"職員番号,氏名,所属コード"}, rows...)...)
	numbers := fmt.Sprintf("新規 5、異動 0、変更 0、再登録 0、退職 %d、変更なし 0、所属の新設 0", active)

	// An unknown code: an error on its row and column, and how to allow it.
	code, out, errs := run(t, dir, "", "import", "staff", unknown, "--retire-missing")
	if code != 1 || !strings.Contains(errs, "4行目 [所属コード] 所属コード 099999 は登録されていません") || !strings.Contains(errs, "--create-departments") ||
		!strings.Contains(out, "新規 2、") {
		t.Errorf("unknown code: %d\n%s\n%s", code, out, errs)
	}
	// The file of five read as the whole ward's roster: refused, with the
	// numbers and the way out.
	for _, args := range [][]string{{}, {"--dry-run"}} {
		code, out, errs := run(t, dir, "", append([]string{"import", "staff", five}, args...)...)
		if code != 1 || !strings.Contains(out, numbers) || !strings.Contains(out, "範囲: 全庁") ||
			!strings.Contains(errs, fmt.Sprintf("在籍職員 %d 人のうち %d 人（100%%）が退職扱いになります（上限 10%%）", active, active)) ||
			!strings.Contains(errs, "--retire-missing") || !strings.Contains(errs, "エラー: 退職扱いになる職員が多すぎるため取り込みません。何も書き込んでいません") {
			t.Errorf("import %v: %d\n%s\n%s", args, code, out, errs)
		}
	}
	// The file's department only: still most of that department.
	if code, out, errs := run(t, dir, "", "import", "staff", five, "--departments", "file"); code != 1 || !strings.Contains(out, "退職扱いの範囲: 区民部 戸籍住民課 住民記録係") {
		t.Errorf("--departments file: %d\n%s\n%s", code, out, errs)
	}
	// With the intent named but --dry-run: the numbers, nothing written.
	if code, out, errs := run(t, dir, "", "import", "staff", five, "--dry-run", "--retire-missing"); code != 0 || !strings.Contains(out, numbers) || !strings.Contains(out, "何も書き込んでいません") {
		t.Errorf("--dry-run --retire-missing: %d\n%s\n%s", code, out, errs)
	}
	if a, s, n := counts(); a != active || s != staff || n != 0 {
		t.Fatalf("refused imports wrote: %d active, %d staff, %d imports", a, s, n)
	}
	// --partial: added, nobody retired.
	if code, out, errs := run(t, dir, "", "import", "staff", five, "--partial"); code != 0 || !strings.Contains(out, "新規 5、異動 0、変更 0、再登録 0、退職 0") {
		t.Errorf("--partial: %d\n%s\n%s", code, out, errs)
	}
	// --retire-missing: the whole ward's roster as meant.
	code, out, errs = run(t, dir, "", "import", "staff", five, "--retire-missing")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("退職 %d 人", active)) || !strings.Contains(out, "--retire-missing により退職扱いにします") {
		t.Errorf("--retire-missing: %d\n%s\n%s", code, out, errs)
	}
	if a, s, n := counts(); a != 5 || s != staff+5 || n != 2 {
		t.Errorf("after the imports: %d active, %d staff, %d imports; want 5, %d, 2", a, s, n, staff+5)
	}
}
