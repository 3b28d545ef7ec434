package jp

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name     string
		in       []byte
		want     [][]string
		wantEnc  Encoding
		wantLine int
		wantMsg  string
	}{
		{
			name:    "quoted newline and comma",
			in:      []byte("氏名,備考\r\n山田,\"東京都,千代田区\r\n2行目\"\r\n佐藤,\"\"\"引用\"\"\"\r\n"),
			want:    [][]string{{"氏名", "備考"}, {"山田", "東京都,千代田区\n2行目"}, {"佐藤", "\"引用\""}},
			wantEnc: UTF8,
		},
		{
			name:    "TAB separated",
			in:      []byte("氏名\t住所\n山田\t東京都, 千代田区\n"),
			want:    [][]string{{"氏名", "住所"}, {"山田", "東京都, 千代田区"}},
			wantEnc: UTF8,
		},
		{
			name:    "tabs inside a comma file stay in cells",
			in:      []byte("a,b\nx\ty,z\n"),
			want:    [][]string{{"a", "b"}, {"x\ty", "z"}},
			wantEnc: UTF8,
		},
		{
			name:    "ragged rows and trailing blank records",
			in:      []byte("a,b,c\n1\n,,\n , \n"),
			want:    [][]string{{"a", "b", "c"}, {"1"}},
			wantEnc: UTF8,
		},
		{
			name:    "lazy quotes",
			in:      []byte("a,b\"c\n"),
			want:    [][]string{{"a", "b\"c"}},
			wantEnc: UTF8,
		},
		{
			name:    "BOM",
			in:      []byte("\xEF\xBB\xBF氏名,年齢\n山田,30\n"),
			want:    [][]string{{"氏名", "年齢"}, {"山田", "30"}},
			wantEnc: UTF8BOM,
		},
		{
			name:    "no final newline",
			in:      []byte("a,b\n1,2"),
			want:    [][]string{{"a", "b"}, {"1", "2"}},
			wantEnc: UTF8,
		},
		{
			name:    "empty",
			in:      nil,
			want:    nil,
			wantEnc: UTF8,
		},
		{
			name:     "unterminated quote names the record's first line",
			in:       []byte("a,b\n1,2\n3,\"abc\n4,5\n"),
			wantLine: 3,
			wantMsg:  "3行目: CSV の引用符（\"）の対応が取れていません",
		},
		{
			name:     "unclosed quote after a multi-line record",
			in:       []byte("a,b\n\"x\ny\",1\n2,\"ok\"\n3,\"abc\"\"\n"),
			wantLine: 5,
			wantMsg:  "5行目: CSV の引用符（\"）の対応が取れていません",
		},
		{
			name:     "unclosed quote in TAB file",
			in:       []byte("a\tb\n1\t\"x\n"),
			wantLine: 2,
			wantMsg:  "2行目: CSV の引用符（\"）の対応が取れていません",
		},
		{
			name:    "lazy quote inside a quoted field",
			in:      []byte("\"a\"b\",c\r\n\"d\"\r\n"),
			want:    [][]string{{"a\"b", "c"}, {"d"}},
			wantEnc: UTF8,
		},
		{
			name:    "quoted field closed at end of input",
			in:      []byte("\"a\nb\""),
			want:    [][]string{{"a\nb"}},
			wantEnc: UTF8,
		},
		{
			name:     "decode errors pass through",
			in:       []byte("a\x00"),
			wantLine: 1,
			wantMsg:  "バイナリファイルのようです。CSV または XLSX を指定してください。",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, enc, err := ReadCSV(tt.in)
			if tt.wantMsg != "" {
				var te *TextError
				if !errors.As(err, &te) {
					t.Fatalf("ReadCSV() error = %v, want *TextError", err)
				}
				if te.Msg != tt.wantMsg || te.Line != tt.wantLine {
					t.Errorf("error = line %d %q, want line %d %q", te.Line, te.Msg, tt.wantLine, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadCSV(): %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) || enc != tt.wantEnc {
				t.Errorf("ReadCSV() = %q, %v; want %q, %v", got, enc, tt.want, tt.wantEnc)
			}
		})
	}
}

func TestReadCSVShiftJIS(t *testing.T) {
	in := cat(sjis(t, "氏名,備考\r\n髙橋,\"①～,㈱\r\n改行\"\r\n"))
	got, enc, err := ReadCSV(in)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"氏名", "備考"}, {"髙橋", "①～,㈱\n改行"}}
	if enc != ShiftJIS || !reflect.DeepEqual(got, want) {
		t.Errorf("ReadCSV() = %q, %v; want %q, Shift_JIS", got, enc, want)
	}
}

func TestSafeCell(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"DDE payload", "=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"plus", "+SUM(A1)", "'+SUM(A1)"},
		{"minus number is prefixed too", "-5", "'-5"},
		{"at", "@SUM(A1)", "'@SUM(A1)"},
		{"tab", "\t=1", "'\t=1"},
		{"carriage return", "\r=1", "'\r=1"},
		{"plain text", "山田", "山田"},
		{"equals later", "a=b", "a=b"},
		{"leading space not trimmed", " =1", " =1"},
		{"full-width equals untouched", "＝1", "＝1"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SafeCell(tt.in); got != tt.want {
				t.Errorf("SafeCell(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCSVWriterRoundTrip(t *testing.T) {
	input := [][]string{
		{"氏名", "備考", "金額"},
		{"髙橋①", "〜から−まで‖", "¥1,000"},
		{"寿司🍣", "複数行\nの\"備考\"", "=1+1"},
		{"ﾊﾝｶｸ", "—¢£¬", ""},
	}
	tests := []struct {
		name         string
		enc          Encoding
		want         [][]string
		wantReplaced int
		wantPrefix   []byte
	}{
		{
			name: "UTF-8",
			enc:  UTF8,
			want: [][]string{
				{"氏名", "備考", "金額"},
				{"髙橋①", "〜から−まで‖", "¥1,000"},
				{"寿司🍣", "複数行\nの\"備考\"", "'=1+1"},
				{"ﾊﾝｶｸ", "—¢£¬", ""},
			},
			wantPrefix: []byte("氏名"),
		},
		{
			name: "UTF-8 with BOM",
			enc:  UTF8BOM,
			want: [][]string{
				{"氏名", "備考", "金額"},
				{"髙橋①", "〜から−まで‖", "¥1,000"},
				{"寿司🍣", "複数行\nの\"備考\"", "'=1+1"},
				{"ﾊﾝｶｸ", "—¢£¬", ""},
			},
			wantPrefix: []byte("\xEF\xBB\xBF氏名"),
		},
		{
			name: "Shift_JIS",
			enc:  ShiftJIS,
			want: [][]string{
				{"氏名", "備考", "金額"},
				{"髙橋①", "～から－まで∥", "￥1,000"},
				{"寿司〓", "複数行\nの\"備考\"", "'=1+1"},
				{"ﾊﾝｶｸ", "―￠￡￢", ""},
			},
			wantReplaced: 1,
			wantPrefix:   sjis(t, "氏名"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewCSVWriter(&buf, tt.enc)
			for _, rec := range input {
				if err := w.Write(rec); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			out := buf.Bytes()
			if !bytes.HasPrefix(out, tt.wantPrefix) {
				t.Errorf("output starts % X, want % X", out[:min(len(out), 8)], tt.wantPrefix)
			}
			if n := bytes.Count(out, []byte("\n")); n != bytes.Count(out, []byte("\r\n")) {
				t.Errorf("output has bare LF line endings: %q", out)
			}
			if got := w.Replaced(); got != tt.wantReplaced {
				t.Errorf("Replaced() = %d, want %d", got, tt.wantReplaced)
			}
			got, enc, err := ReadCSV(out)
			if err != nil {
				t.Fatalf("ReadCSV(): %v", err)
			}
			if enc != tt.enc {
				t.Errorf("detected encoding %v, want %v", enc, tt.enc)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("round trip = %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCSVWriterEmptyBOM(t *testing.T) {
	var buf bytes.Buffer
	if err := NewCSVWriter(&buf, UTF8BOM).Flush(); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "\xEF\xBB\xBF" {
		t.Errorf("empty UTF8BOM output = %q, want just the BOM", got)
	}
}

func TestCSVWriterInvalidUTF8ToShiftJIS(t *testing.T) {
	var buf bytes.Buffer
	w := NewCSVWriter(&buf, ShiftJIS)
	if err := w.Write([]string{"a\xffb"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.Replaced() != 1 {
		t.Errorf("Replaced() = %d, want 1", w.Replaced())
	}
	got, _, err := ReadCSV(buf.Bytes())
	if err != nil || len(got) != 1 || got[0][0] != "a〓b" {
		t.Errorf("ReadCSV = %q, %v; want a〓b", got, err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestCSVWriterReportsWriteErrors(t *testing.T) {
	w := NewCSVWriter(failWriter{}, ShiftJIS)
	_ = w.Write([]string{strings.Repeat("あ", 10000)}) // larger than the buffer
	if err := w.Flush(); err == nil {
		t.Error("Flush() = nil, want the underlying write error")
	}
}
