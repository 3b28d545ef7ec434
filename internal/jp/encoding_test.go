package jp

import (
	"errors"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

// sjis encodes s as CP932 and fails the test if it cannot.
func sjis(t *testing.T, s string) []byte {
	t.Helper()
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("cannot encode %q as Shift_JIS: %v", s, err)
	}
	return b
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestEncodingString(t *testing.T) {
	tests := []struct {
		name string
		enc  Encoding
		want string
	}{
		{"utf8", UTF8, "UTF-8"},
		{"utf8 bom", UTF8BOM, "UTF-8 (BOM付き)"},
		{"sjis", ShiftJIS, "Shift_JIS"},
		{"unknown", Encoding(9), "Encoding(9)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.enc.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseEncoding(t *testing.T) {
	tests := []struct {
		in      string
		want    Encoding
		wantErr bool
	}{
		{"sjis", ShiftJIS, false},
		{"Shift_JIS", ShiftJIS, false},
		{"shift-jis", ShiftJIS, false},
		{"CP932", ShiftJIS, false},
		{"Windows-31J", ShiftJIS, false},
		{"utf8", UTF8, false},
		{"UTF-8", UTF8, false},
		{"utf8bom", UTF8BOM, false},
		{"UTF-8-BOM", UTF8BOM, false},
		{"UTF-8 (BOM付き)", UTF8BOM, false},
		{" utf-8 ", UTF8, false},
		{"euc-jp", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseEncoding(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseEncoding(%q) = %v, want error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseEncoding(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if back, err := ParseEncoding(got.String()); err != nil || back != got {
				t.Errorf("String() does not parse back: %q", got.String())
			}
		})
	}
}

func TestDecodeText(t *testing.T) {
	crlf := []byte("\r\n")
	tests := []struct {
		name     string
		in       []byte
		want     string
		wantEnc  Encoding
		wantLine int    // for errors
		wantMsg  string // for errors; empty means success expected
	}{
		{
			name:    "empty",
			in:      nil,
			want:    "",
			wantEnc: UTF8,
		},
		{
			name:    "ASCII",
			in:      []byte("a,b\r\n1,2\r\n"),
			want:    "a,b\r\n1,2\r\n",
			wantEnc: UTF8,
		},
		{
			name:    "UTF-8",
			in:      []byte("氏名,住所\n山田,東京都\n"),
			want:    "氏名,住所\n山田,東京都\n",
			wantEnc: UTF8,
		},
		{
			name:    "UTF-8 with BOM",
			in:      []byte("\xEF\xBB\xBF氏名\r\n髙橋①\r\n"),
			want:    "氏名\r\n髙橋①\r\n",
			wantEnc: UTF8BOM,
		},
		{
			name:    "BOM only",
			in:      []byte("\xEF\xBB\xBF"),
			want:    "",
			wantEnc: UTF8BOM,
		},
		{
			name:    "CP932 with NEC and IBM extensions",
			in:      cat(sjis(t, "氏名,備考"), crlf, sjis(t, "髙橋,①～№Ⅲ㈱﨑"), crlf),
			want:    "氏名,備考\r\n髙橋,①～№Ⅲ㈱﨑\r\n",
			wantEnc: ShiftJIS,
		},
		{
			name:    "CP932 half-width katakana that is also valid 2-byte UTF-8",
			in:      cat([]byte("1,"), sjis(t, "ﾃｲ"), crlf, []byte("2,"), sjis(t, "ﾔﾏﾀﾞ"), crlf),
			want:    "1,ﾃｲ\r\n2,ﾔﾏﾀﾞ\r\n",
			wantEnc: ShiftJIS,
		},
		{
			name:    "CP932 backslash-like bytes in trail position",
			in:      cat(sjis(t, "ソ表能"), crlf),
			want:    "ソ表能\r\n",
			wantEnc: ShiftJIS,
		},
		{
			name:     "mixed: UTF-8 line 1, CP932 line 3",
			in:       cat([]byte("氏名,住所\n"), []byte("1,2\n"), sjis(t, "山田,東京都"), []byte("\n")),
			wantLine: 3,
			wantMsg:  "文字コードが混在しています（1行目は UTF-8、3行目は Shift_JIS）。どちらかに揃えて保存し直してください。",
		},
		{
			name:     "mixed: CP932 line 2, UTF-8 line 5",
			in:       cat([]byte("a\n"), sjis(t, "山田"), []byte("\nb\nc\n"), []byte("東京\n")),
			wantLine: 5,
			wantMsg:  "文字コードが混在しています（2行目は Shift_JIS、5行目は UTF-8）。どちらかに揃えて保存し直してください。",
		},
		{
			name:     "mixed: UTF-8 line that is also valid CP932",
			in:       cat([]byte("山田,東京都\n"), sjis(t, "佐藤,大阪府"), []byte("\n")),
			wantLine: 2,
			wantMsg:  "文字コードが混在しています（1行目は UTF-8、2行目は Shift_JIS）。どちらかに揃えて保存し直してください。",
		},
		{
			name:     "mixed: half-width katakana in UTF-8",
			in:       cat([]byte("ﾔﾏﾀﾞ\n"), sjis(t, "ﾔﾏﾀﾞ"), []byte("\n")),
			wantLine: 2,
			wantMsg:  "文字コードが混在しています（1行目は UTF-8、2行目は Shift_JIS）。どちらかに揃えて保存し直してください。",
		},
		{
			name:     "mixed: BOM then CP932",
			in:       cat(bomUTF8, []byte("a,b\n"), sjis(t, "山田"), []byte("\n")),
			wantLine: 2,
			wantMsg:  "文字コードが混在しています（1行目は UTF-8、2行目は Shift_JIS）。どちらかに揃えて保存し直してください。",
		},
		{
			name:     "NUL byte",
			in:       []byte("a,b\nc\x00d\n"),
			wantLine: 2,
			wantMsg:  "バイナリファイルのようです。CSV または XLSX を指定してください。",
		},
		{
			name:     "XLSX (zip) header",
			in:       []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"),
			wantLine: 1,
			wantMsg:  "バイナリファイルのようです。CSV または XLSX を指定してください。",
		},
		{
			name:     "UTF-16LE BOM",
			in:       []byte("\xFF\xFEa\x00,\x00b\x00"),
			wantLine: 1,
			wantMsg:  "UTF-16 のファイルには対応していません。UTF-8 か Shift_JIS で保存してください。",
		},
		{
			name:     "UTF-16BE BOM",
			in:       []byte("\xFE\xFF\x00a\x00,\x00b"),
			wantLine: 1,
			wantMsg:  "UTF-16 のファイルには対応していません。UTF-8 か Shift_JIS で保存してください。",
		},
		{
			name:     "UTF-16LE without BOM",
			in:       []byte("a\x00,\x00b\x00\r\x00\n\x001\x00,\x002\x00"),
			wantLine: 1,
			wantMsg:  "UTF-16 のファイルには対応していません。UTF-8 か Shift_JIS で保存してください。",
		},
		{
			name:     "invalid bytes on line 3",
			in:       []byte("a\nb\nc\xFF\xFEd\n"),
			wantLine: 3,
			wantMsg:  "3行目: Shift_JIS としても UTF-8 としても読めない文字があります",
		},
		{
			name:     "truncated CP932 character at end",
			in:       cat(sjis(t, "山田"), crlf, sjis(t, "東")[:1]),
			wantLine: 2,
			wantMsg:  "2行目: Shift_JIS としても UTF-8 としても読めない文字があります",
		},
		{
			name:     "undefined single byte 0x80",
			in:       cat(sjis(t, "山田"), []byte("\x80\n")),
			wantLine: 1,
			wantMsg:  "1行目: Shift_JIS としても UTF-8 としても読めない文字があります",
		},
		{
			name:     "CP932 user-defined character (gaiji)",
			in:       cat([]byte("x\n"), sjis(t, "山"), []byte("\xF0\x40\n")),
			wantLine: 2,
			wantMsg:  "2行目: 外字（利用者定義文字）が含まれているため読み込めません。通常の文字に置き換えてください。",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, enc, err := DecodeText(tt.in)
			if tt.wantMsg != "" {
				var te *TextError
				if !errors.As(err, &te) {
					t.Fatalf("DecodeText() error = %v (%T), want *TextError", err, err)
				}
				if te.Msg != tt.wantMsg || te.Error() != tt.wantMsg || te.Line != tt.wantLine {
					t.Errorf("error = line %d %q, want line %d %q", te.Line, te.Msg, tt.wantLine, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeText(): %v", err)
			}
			if got != tt.want || enc != tt.wantEnc {
				t.Errorf("DecodeText() = %q, %v; want %q, %v", got, enc, tt.want, tt.wantEnc)
			}
		})
	}
}
