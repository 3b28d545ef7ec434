package fonts

import (
	"errors"
	"testing"
	"testing/fstest"

	"mamori/internal/testkit"
)

func TestLoad(t *testing.T) {
	s, err := Load()
	if errors.Is(err, ErrMissing) {
		testkit.Missing(t, "日本語フォント（internal/docgen/fonts）", "make fonts（scripts/fonts.sh）を実行してからビルド")
	}
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := Load()
	if s != s2 {
		t.Error("Load parsed the fonts twice")
	}
	for _, f := range []*Face{s.SerifRegular, s.SerifBold, s.GothicRegular, s.GothicBold} {
		if len(f.Data) < 1<<20 {
			t.Errorf("%s: %d bytes, want a full Japanese font", f.Name, len(f.Data))
		}
		for _, r := range "あア漢、。（）ーAz0" {
			if !f.Has(r) {
				t.Errorf("%s lacks %q", f.Name, r)
			}
		}
		if w := f.Width("漢字", 10); w < 19 || w > 21 {
			t.Errorf("%s: 漢字 at 10pt is %.2fpt wide, want about 20", f.Name, w)
		}
		if f.Ascender <= 0 || f.Descender >= 0 {
			t.Errorf("%s: ascender %v descender %v", f.Name, f.Ascender, f.Descender)
		}
	}
	if s.SerifBold.Name == s.SerifRegular.Name {
		t.Error("bold face is the regular face")
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := load(fstest.MapFS{"files/README.txt": {Data: []byte("x")}})
	if !errors.Is(err, ErrMissing) {
		t.Fatalf("err = %v, want ErrMissing", err)
	}
	if err.Error() != "PDF 用フォントが組み込まれていません。make fonts を実行してからビルドしてください" {
		t.Errorf("message %q", err)
	}
}
