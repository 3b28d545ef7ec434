package provision

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"
)

const wNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"`

// buildDOCX zips the given parts into a Word package, adding the content
// types and relationships Word needs.
func buildDOCX(t testing.TB, parts map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	all := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>`,
		"word/_rels/document.xml.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
	}
	for k, v := range parts {
		all[k] = v
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/_rels/document.xml.rels", "word/document.xml", "word/numbering.xml", "word/styles.xml", "xl/workbook.xml", "mimetype", "content.xml"} {
		v, ok := all[name]
		if !ok {
			continue
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// body wraps paragraphs in a document part.
func body(ps ...string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ` + wNS + `><w:body>` +
		strings.Join(ps, "") + `<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>`
}

func esc(s string) string {
	var b strings.Builder
	_ = xmlEscape(&b, s)
	return b.String()
}

func xmlEscape(b *strings.Builder, s string) error {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	_, err := b.WriteString(r.Replace(s))
	return err
}

// para is a w:p with plain text; num gives w:numPr (numId, ilvl) when set.
func para(text string, num ...string) string {
	ppr := ""
	if len(num) == 2 {
		ppr = `<w:pPr><w:numPr><w:ilvl w:val="` + num[1] + `"/><w:numId w:val="` + num[0] + `"/></w:numPr></w:pPr>`
	}
	return `<w:p>` + ppr + `<w:r><w:t xml:space="preserve">` + esc(text) + `</w:t></w:r></w:p>`
}

func styled(style, text string) string {
	return `<w:p><w:pPr><w:pStyle w:val="` + style + `"/></w:pPr><w:r><w:t>` + esc(text) + `</w:t></w:r></w:p>`
}

func row(cells ...string) string {
	var b strings.Builder
	b.WriteString(`<w:tr>`)
	for _, c := range cells {
		b.WriteString(`<w:tc><w:tcPr><w:tcW w:w="2000" w:type="dxa"/></w:tcPr>` + para(c) + `</w:tc>`)
	}
	b.WriteString(`</w:tr>`)
	return b.String()
}

func table(rows ...string) string {
	return `<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr>` + strings.Join(rows, "") + `</w:tbl>`
}

const sampleNumbering = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:numbering ` + wNS + `>
<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:suff w:val="space"/><w:lvlText w:val="第%1章"/><w:pStyle w:val="ChapterHeading"/></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="1">
 <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:suff w:val="nothing"/><w:lvlText w:val="第%1条"/></w:lvl>
 <w:lvl w:ilvl="1"><w:start w:val="2"/><w:numFmt w:val="decimalFullWidth"/><w:suff w:val="space"/><w:lvlText w:val="%2"/></w:lvl>
 <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="（%3）"/></w:lvl>
 <w:lvl w:ilvl="3"><w:start w:val="1"/><w:numFmt w:val="aiueoFullWidth"/><w:lvlText w:val="%4"/></w:lvl>
 <w:lvl w:ilvl="4"><w:start w:val="1"/><w:numFmt w:val="decimalEnclosedCircle"/><w:lvlText w:val="%5"/></w:lvl>
</w:abstractNum>
<w:abstractNum w:abstractNumId="2"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="hebrew2"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>
<w:num w:numId="3"><w:abstractNumId w:val="2"/></w:num>
</w:numbering>`

const sampleStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles ` + wNS + `>
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="ChapterBase"><w:name w:val="章の基礎"/><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="ChapterHeading"><w:name w:val="章"/><w:basedOn w:val="ChapterBase"/></w:style>
</w:styles>`

// sampleDOCX is a small policy written with Word's automatic numbering
// (chapters by a paragraph style, articles, paragraphs, items, sub-items
// and circled numbers by numPr), tracked changes, hidden text, a table, a
// one-cell frame and a line break.
func sampleDOCX(t testing.TB) []byte {
	doc := body(
		para("ひので区テレワーク実施基準"),
		para("（令和7年3月28日情報セキュリティ委員会決定）"),
		styled("ChapterHeading", "総則"),
		para("（目的）", "2", "0"),
		para("この基準は、テレワークの実施に関し必要な事項を定める。"),
		para("（定義）", "2", "0"),
		para("この基準において、次に掲げる用語の意義は、それぞれ次に定めるところによる。"),
		para("テレワーク　情報通信技術を利用して庁舎外で行う勤務をいう。", "2", "2"),
		para("モバイル端末　次に掲げる端末をいう。", "2", "2"),
		para("区が貸与したもの", "2", "3"),
		para("区が認めた私物のもの", "2", "3"),
		para("前項第2号イの端末は、次の条件を満たすものに限る。", "2", "1"),
		para("暗号化されていること", "2", "4"),
		para("最新の更新が適用されていること", "2", "4"),
		styled("ChapterHeading", "実施"),
		para("（実施の手続）", "2", "0"),
		`<w:p><w:r><w:t xml:space="preserve">職員は、</w:t></w:r><w:ins w:id="1" w:author="a" w:date="2025-03-01T00:00:00Z"><w:r><w:t>事前に</w:t></w:r></w:ins>`+
			`<w:del w:id="2" w:author="a" w:date="2025-03-01T00:00:00Z"><w:r><w:delText>事後に</w:delText></w:r></w:del>`+
			`<w:r><w:rPr><w:vanish/></w:rPr><w:t>（非表示の注）</w:t></w:r><w:r><w:t>所属長に申請しなければならない。</w:t></w:r></w:p>`,
		para("申請先は、次の表のとおりとする。", "2", "1"),
		table(row("区分", "申請先"), row("在宅勤務", "所属長"), row("サテライトオフィス勤務", "人事課長")),
		table(row("３　この基準に定めるもののほか、必要な事項は別に定める。")),
		`<w:p><w:r><w:t>附　則</w:t><w:br/><w:t>この基準は、令和7年4月1日から施行する。</w:t></w:r></w:p>`,
	)
	return buildDOCX(t, map[string]string{
		"word/document.xml":  doc,
		"word/numbering.xml": sampleNumbering,
		"word/styles.xml":    sampleStyles,
	})
}

func TestReadDOCX(t *testing.T) {
	d, warns, err := ReadFile("テレワーク実施基準.docx", sampleDOCX(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %s", warningsText(warns))
	}
	if d.Title != "ひので区テレワーク実施基準" || len(d.Preamble) != 1 {
		t.Errorf("title %q preamble %q", d.Title, d.Preamble)
	}
	want := map[string]string{
		"第1章":               "第1章|1|総則|",
		"第1章 第1条":           "第1条|1|目的|",
		"第1章 第2条 第1項 第2号":   "（2）|2||モバイル端末　次に掲げる端末をいう。",
		"第1章 第2条 第1項 第2号 イ": "イ|2||区が認めた私物のもの",
		"第1章 第2条 第2項":       "２|2||前項第2号イの端末は、次の条件を満たすものに限る。",
		"第1章 第2条 第2項 第2号":   "②|2||最新の更新が適用されていること",
		"第2章":               "第2章|2|実施|",
		"第2章 第3条":           "第3条|3|実施の手続|",
		"第2章 第3条 第1項":       "|1||職員は、事前に所属長に申請しなければならない。",
		"第2章 第3条 第2項":       "２|2||申請先は、次の表のとおりとする。",
		"第2章 第3条 第2項 本文":    "|0||区分\t申請先",
		"第2章 第3条 第2項 本文3":   "|0||サテライトオフィス勤務\t人事課長",
		"第2章 第3条 第3項":       "３|3||この基準に定めるもののほか、必要な事項は別に定める。",
		"附則 本文":             "|0||この基準は、令和7年4月1日から施行する。",
	}
	for path, w := range want {
		n := find(d, path)
		if n == nil {
			t.Errorf("no provision at %q in\n%s", path, dump(d))
			continue
		}
		if got := strings.Join([]string{n.Label, itoa(n.Num), n.Caption, n.Text}, "|"); got != w {
			t.Errorf("%s: got %q, want %q", path, got, w)
		}
	}
	if n := find(d, "第2章 第3条"); n == nil || n.Line != 16 {
		t.Errorf("第3条 should start at paragraph 16: %+v", n)
	}
}

// TestReadDOCXFromLibreOffice reads the sample after LibreOffice Writer
// opened and saved it (testdata/telework-libreoffice.docx: its own
// numbering.xml, styles, run splitting and tracked changes): the same tree.
func TestReadDOCXFromLibreOffice(t *testing.T) {
	want, _, err := ReadFile("sample.docx", sampleDOCX(t))
	if err != nil {
		t.Fatal(err)
	}
	got, warns, err := ReadFile("telework-libreoffice.docx", fixtureText("telework-libreoffice.docx"))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %s", warningsText(warns))
	}
	sameTree(t, "LibreOffice", want, got)
}

// TestReadDOCXRelationships finds the parts through the package
// relationships, whatever they are called.
func TestReadDOCXRelationships(t *testing.T) {
	doc := body(para("規程"), para("（目的）", "2", "0"), para("本文。"))
	data := buildDOCX(t, map[string]string{
		"_rels/.rels":                  `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/word/document.xml"/></Relationships>`,
		"word/_rels/document.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="../word/numbering.xml"/></Relationships>`,
		"word/document.xml":            doc,
		"word/numbering.xml":           sampleNumbering,
	})
	d, _, err := ReadFile("r.docx", data)
	if err != nil {
		t.Fatal(err)
	}
	texts(t, d, map[string]string{"第1条": "第1条（目的）"})
}

func TestReadDOCXNumberingProblems(t *testing.T) {
	doc := body(
		para("規程"),
		para("（目的）", "2", "0"),
		para("本文。"),
		para("書式が未対応の番号", "3", "0"),
		para("定義のない番号", "9", "0"),
	)
	d, warns, err := ReadFile("a.docx", buildDOCX(t, map[string]string{"word/document.xml": doc, "word/numbering.xml": sampleNumbering}))
	if err != nil {
		t.Fatal(err)
	}
	ws := warningsText(warns)
	for _, w := range []string{"4段落目：Word の自動番号の形式「hebrew2」には対応していない", "5段落目：Word の自動番号（番号定義 9）が見つからない"} {
		if !strings.Contains(ws, w) {
			t.Errorf("warnings %q, want %q", ws, w)
		}
	}
	if !strings.Contains(d.Plain(), "\n1.　書式が未対応の番号\n") {
		t.Errorf("unsupported format falls back to digits: %s", dump(d))
	}

	// numPr without numbering.xml
	_, warns, err = ReadFile("b.docx", buildDOCX(t, map[string]string{"word/document.xml": body(para("規程"), para("第1条　本文。"), para("（目的）", "2", "0"))}))
	if err != nil {
		t.Fatal(err)
	}
	if ws := warningsText(warns); !strings.Contains(ws, "3段落目：Word の自動番号が使われていますが、番号の定義がない") {
		t.Errorf("warnings %q", ws)
	}

	// a text box
	tb := `<w:p><w:r><w:t>第2条　本文。</w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent><w:p><w:r><w:t>枠の中</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict><w:t>枠の中</w:t></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>`
	d, warns, err = ReadFile("c.docx", buildDOCX(t, map[string]string{"word/document.xml": body(para("規程"), para("第1条　本文。"), tb)}))
	if err != nil {
		t.Fatal(err)
	}
	if ws := warningsText(warns); !strings.Contains(ws, "3段落目：テキストボックス") {
		t.Errorf("warnings %q", ws)
	}
	if strings.Contains(d.Plain(), "枠の中") {
		t.Errorf("text box text was read: %s", d.Plain())
	}
}

func TestFormatWordNumber(t *testing.T) {
	tests := []struct {
		n    int
		f    string
		want string
	}{
		{12, "decimal", "12"}, {12, "decimalFullWidth", "１２"}, {3, "decimalEnclosedCircle", "③"},
		{3, "decimalEnclosedParen", "⑶"}, {2, "aiueoFullWidth", "イ"}, {2, "aiueo", "イ"}, {2, "iroha", "ロ"},
		{12, "japaneseCounting", "十二"}, {102, "japaneseCounting", "百二"}, {10, "ideographDigital", "一〇"},
		{2, "ideographTraditional", "乙"}, {4, "lowerRoman", "iv"}, {28, "lowerLetter", "bb"}, {5, "decimalZero", "05"},
	}
	for _, tc := range tests {
		if got, ok := formatWordNumber(tc.n, tc.f); !ok || got != tc.want {
			t.Errorf("formatWordNumber(%d, %s) = %q, %v; want %q", tc.n, tc.f, got, ok, tc.want)
		}
	}
	if _, ok := formatWordNumber(1, "hebrew2"); ok {
		t.Error("hebrew2 should be reported as unsupported")
	}
}

func TestReadFileRefusals(t *testing.T) {
	sample := sampleDOCX(t)
	ole := func(extra string) []byte {
		b := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 600)...)
		return append(b, utf16le(extra)...)
	}
	tests := []struct {
		name string
		file string
		data []byte
		want string
	}{
		{"empty", "a.txt", nil, "「a.txt」：ファイルが空です。"},
		{"too large", "big.docx", bytes.Repeat([]byte("あ"), MaxFileSize/3+1), "「big.docx」：ファイルが大きすぎます（10.0 MB）。取り込めるのは 10 MB まで"},
		{"encrypted Office file", "秘.docx", ole("EncryptedPackage"), "パスワードが設定されている可能性"},
		{"old .doc", "旧.doc", ole("WordDocument"), "古い形式 .doc は読めません"},
		{"not a ZIP", "x.docx", []byte("これは Word 文書ではない"), "壊れているため読めません（ZIP 形式として開けませんでした）"},
		{"truncated ZIP", "x.docx", sample[:len(sample)/2], "壊れているため読めません"},
		{"corrupt XML", "x.docx", buildDOCX(t, map[string]string{"word/document.xml": `<w:document ` + wNS + `><w:body><w:p><w:r><w:t>第1条</w:r></w:p>`}), "XML が正しくありません"},
		{"ZIP without a document", "x.docx", buildDOCX(t, map[string]string{}), "Word 文書（.docx）ではありません"},
		{"an Excel file", "x.xlsx", buildDOCX(t, map[string]string{"xl/workbook.xml": "<workbook/>"}), "Excel ファイル（.xlsx）のようです"},
		{"an OpenDocument file", "x.odt", buildDOCX(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<office:document-content/>"}), "OpenDocument 形式"},
		{"PDF", "x.pdf", []byte("%PDF-1.7\n..."), "PDF は取り込めません"},
		{"binary", "x.txt", []byte("abc\x00\x01\x02\x03def\x00\x00\x05"), "文書として読めないファイル"},
		{"UTF-16", "x.txt", []byte{0xFF, 0xFE, 'a', 0}, "UTF-16"},
		{"DOCX without numbering", "x.docx", buildDOCX(t, map[string]string{"word/document.xml": body(para("お知らせ"), para("庁舎の入口が変わります。"))}), "「x.docx」：条・項・号の番号を認識できませんでした。"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, _, err := ReadFile(tc.file, tc.data)
			if err == nil {
				t.Fatalf("no error; document %s", dump(d))
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T %v, want *InputError", err, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
}

func TestReadFileEncodings(t *testing.T) {
	utf := "規程\n第1条（目的）\n髙橋の①を含む本文。\n"
	// CP932 bytes of the same text, written out by hand: 規程, 第1条（目的）, 髙橋の①を含む本文。
	sjis := []byte{0x8B, 0x4B, 0x92, 0xF6, '\n',
		0x91, 0xE6, '1', 0x8F, 0xF0, 0x81, 0x69, 0x96, 0xDA, 0x93, 0x49, 0x81, 0x6A, '\n',
		0xEE, 0xE0, 0x8B, 0xB4, 0x82, 0xCC, 0x87, 0x40, 0x82, 0xF0, 0x8A, 0xDC, 0x82, 0xDE, 0x96, 0x7B, 0x95, 0xB6, 0x81, 0x42, '\n'}
	want, _ := mustParse(t, utf)
	for name, b := range map[string][]byte{
		"utf8.txt":   []byte(utf),
		"bom.txt":    append([]byte{0xEF, 0xBB, 0xBF}, utf...),
		"sjis.txt":   sjis,
		"noext":      []byte(utf),
		"policy.md":  []byte(utf),
		"policy.TXT": []byte(strings.ReplaceAll(utf, "\n", "\r\n")),
	} {
		d, _, err := ReadFile(name, b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		sameTree(t, name, want, d)
	}
}
