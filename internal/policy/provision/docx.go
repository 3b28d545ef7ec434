package provision

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
)

// maxPartSize caps how much of one DOCX part besides the body (styles,
// numbering, relationships) is decompressed, so that a small file cannot
// expand into gigabytes; maxBodySize caps the body, word/document.xml,
// which is read as a stream and also stops at the text limits (limits.go).
const (
	maxPartSize = 8 << 20
	maxBodySize = 64 << 20
)

const (
	msgZipBroken = "Word ファイル（.docx）が壊れているため読めません（ZIP 形式として開けませんでした）。Word で開けるか確かめ、保存し直してから取り込んでください。"
	msgPartBad   = "Word ファイル（.docx）が壊れているため読めません（%s を展開できませんでした）。Word で開けるか確かめ、保存し直してから取り込んでください。"
	msgXMLBad    = "Word ファイル（.docx）が壊れているため読めません（本文 word/document.xml の %d行目付近の XML が正しくありません）。Word で開けるか確かめ、保存し直してから取り込んでください。"
	msgPartLarge = "Word ファイルの %s が大きすぎます（展開すると %d MB を超えます）。"
	msgXLSX      = "Excel ファイル（.xlsx）のようです。ポリシー文書は Word 文書（.docx）、Markdown（.md）またはテキスト（.txt）で取り込んでください。"
	msgODT       = "OpenDocument 形式（.odt など）は読めません。Word 文書（.docx）として保存し直してから取り込んでください。"
	msgNotDOCX   = "ZIP ファイルですが、Word 文書（.docx）ではありません（本文 word/document.xml がありません）。"
)

// docPara is one paragraph (or table row) of the body, as text.
type docPara struct {
	text  string
	index int // 1-based paragraph number in the body
}

// readDOCX reads the body of a Word document: paragraphs in order, with
// automatic numbering reconstructed, and table rows as tab-separated lines.
func readDOCX(data []byte) (*Document, []Warning, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, &InputError{Msg: msgZipBroken, Err: err}
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	mainName := partTarget(files, "_rels/.rels", "", "/officeDocument", "word/document.xml")
	main := files[mainName]
	if main == nil {
		if files["xl/workbook.xml"] != nil {
			return nil, nil, &InputError{Msg: msgXLSX}
		}
		if files["content.xml"] != nil && files["mimetype"] != nil {
			return nil, nil, &InputError{Msg: msgODT}
		}
		return nil, nil, &InputError{Msg: msgNotDOCX}
	}
	dir, base := path.Split(mainName)
	rels := dir + "_rels/" + base + ".rels"
	r := &docxReader{num: newNumbering(), budget: docxBudget{inflated: main.UncompressedSize64}}
	if f := files[partTarget(files, rels, dir, "/numbering", dir+"numbering.xml")]; f != nil {
		b, err := readPart(f)
		if err != nil {
			return nil, nil, err
		}
		if err := r.num.load(b); err != nil {
			r.warnOnce("numbering", 0, "自動番号の定義（word/numbering.xml）を読み取れなかったため、自動番号は再現していません。番号を確認してください。")
		}
	}
	if f := files[partTarget(files, rels, dir, "/styles", dir+"styles.xml")]; f != nil {
		b, err := readPart(f)
		if err != nil {
			return nil, nil, err
		}
		if err := r.num.loadStyles(b); err != nil {
			r.warnOnce("styles", 0, "スタイルの定義（word/styles.xml）を読み取れなかったため、スタイルに付いた自動番号は再現していません。")
		}
	}
	body, err := main.Open()
	if err != nil {
		return nil, nil, &InputError{Msg: fmt.Sprintf(msgPartBad, main.Name), Err: err}
	}
	defer body.Close()
	r.in = &capReader{r: body, left: maxBodySize, err: &InputError{Msg: fmt.Sprintf(msgPartLarge, main.Name, maxBodySize>>20)},
		paraAt: func() int { return r.index }}
	if err := r.read(r.in); err != nil {
		if r.in.failed != nil {
			return nil, nil, r.in.failed
		}
		var ie *InputError
		if errors.As(err, &ie) {
			return nil, nil, ie
		}
		var se *xml.SyntaxError
		line := 0
		if errors.As(err, &se) {
			line = se.Line
		}
		return nil, nil, &InputError{Msg: fmt.Sprintf(msgXMLBad, max(line, 1)), Err: err}
	}
	if r.textboxes > 0 {
		r.warnOnce("textbox", r.textboxAt, "テキストボックスや図形の中の文字は取り込んでいません。必要なら本文に移してください。")
	}
	var lines []srcLine
	for _, p := range r.paras {
		for s := range strings.SplitSeq(p.text, "\n") {
			lines = append(lines, srcLine{text: s, line: p.index})
		}
	}
	doc, warns, err := parseLines(lines, "段落目")
	if err != nil {
		return nil, nil, err
	}
	warns = append(r.warns, warns...)
	slices.SortStableFunc(warns, func(a, b Warning) int { return a.Line - b.Line })
	return doc, warns, nil
}

// partTarget finds the part a relationship of the given type (its URI
// ending) points to in the relationships part rels, resolved against dir;
// fallback when there is none or rels cannot be read.
func partTarget(files map[string]*zip.File, rels, dir, typeSuffix, fallback string) string {
	f := files[rels]
	if f == nil {
		return fallback
	}
	b, err := readPart(f)
	if err != nil {
		return fallback
	}
	var x struct {
		Rels []struct {
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
			Mode   string `xml:"TargetMode,attr"`
		} `xml:"Relationship"`
	}
	if xml.Unmarshal(b, &x) != nil {
		return fallback
	}
	for _, r := range x.Rels {
		if strings.HasSuffix(r.Type, typeSuffix) && r.Mode != "External" {
			if strings.HasPrefix(r.Target, "/") {
				return strings.TrimPrefix(r.Target, "/")
			}
			return path.Clean(dir + r.Target)
		}
	}
	return fallback
}

// readPart decompresses one part, refusing broken or oversized ones.
func readPart(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, &InputError{Msg: fmt.Sprintf(msgPartBad, f.Name), Err: err}
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxPartSize+1))
	if err != nil {
		return nil, &InputError{Msg: fmt.Sprintf(msgPartBad, f.Name), Err: err}
	}
	if len(b) > maxPartSize {
		return nil, &InputError{Msg: fmt.Sprintf(msgPartLarge, f.Name, maxPartSize>>20)}
	}
	return b, nil
}

type docxReader struct {
	dec       *xml.Decoder
	in        *capReader // the body as it is inflated
	budget    docxBudget
	num       *numbering
	paras     []docPara
	index     int
	warns     []Warning
	warned    map[string]bool
	textboxes int
	textboxAt int
}

func (r *docxReader) warnOnce(key string, line int, msg string) {
	if r.warned == nil {
		r.warned = map[string]bool{}
	}
	if r.warned[key] {
		return
	}
	r.warned[key] = true
	if line > 0 {
		msg = fmt.Sprintf("%d段落目：", line) + msg
	}
	r.warns = append(r.warns, Warning{Line: line, Msg: msg})
}

func (r *docxReader) read(body io.Reader) error {
	r.dec = xml.NewDecoder(body)
	for {
		tok, err := r.dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if se, ok := tok.(xml.StartElement); ok {
			if err := r.block(se); err != nil {
				return err
			}
		}
	}
}

// block handles an element at block level (the body, a content control, a
// table cell): paragraphs, tables, and containers that may hold them.
func (r *docxReader) block(se xml.StartElement) error {
	switch se.Name.Local {
	case "p":
		p, err := r.paragraph(se)
		if err != nil {
			return err
		}
		r.in.since = 0
		if err := r.budget.para(p.index, p.text); err != nil {
			return err
		}
		r.paras = append(r.paras, p)
		return nil
	case "tbl":
		return r.table(se)
	case "sectPr", "sdtPr", "sdtEndPr", "Fallback", "background", "docPartPr":
		return r.dec.Skip()
	}
	return r.children(se, r.block)
}

// children calls f for each child element of the open element se and
// returns at its end.
func (r *docxReader) children(se xml.StartElement, f func(xml.StartElement) error) error {
	for {
		tok, err := r.dec.Token()
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := f(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// paraState collects one paragraph.
type paraState struct {
	text      strings.Builder
	numID     string
	ilvl      int
	hasIlvl   bool
	hasNumID  bool
	style     string
	runHidden bool
}

// paragraph reads a w:p: the text of w:t (w:tab as a tab, w:br and w:cr
// as line breaks), inserted text included, deleted and hidden text left
// out, and the automatic number prefixed.
func (r *docxReader) paragraph(se xml.StartElement) (docPara, error) {
	r.index++
	idx := r.index
	st := &paraState{}
	var walk func(xml.StartElement) error
	walk = func(e xml.StartElement) error {
		switch e.Name.Local {
		case "pPr":
			return r.pPr(e, st)
		case "rPr":
			return r.rPr(e, st)
		case "r":
			st.runHidden = false
			return r.children(e, walk)
		case "t":
			s, err := r.chardata()
			if err != nil {
				return err
			}
			if !st.runHidden {
				st.text.WriteString(s)
			}
			return nil
		case "tab", "ptab":
			if !st.runHidden {
				st.text.WriteByte('\t')
			}
			return r.dec.Skip()
		case "br", "cr":
			if !st.runHidden {
				st.text.WriteByte('\n')
			}
			return r.dec.Skip()
		case "noBreakHyphen":
			st.text.WriteByte('-')
			return r.dec.Skip()
		case "del", "moveFrom", "delText", "instrText", "delInstrText", "Fallback",
			"footnoteReference", "endnoteReference", "commentReference", "sdtPr", "rPrChange", "pPrChange":
			return r.dec.Skip()
		case "txbxContent", "drawing", "pict", "object", "AlternateContent":
			found, err := r.skipFinding("txbxContent")
			if found || e.Name.Local == "txbxContent" {
				r.textboxes++
				if r.textboxAt == 0 {
					r.textboxAt = idx
				}
			}
			return err
		}
		// ins, moveTo, hyperlink, smartTag, fldSimple, sdt, sdtContent,
		// customXml, drawing containers …: look inside.
		return r.children(e, walk)
	}
	if err := r.children(se, walk); err != nil {
		return docPara{}, err
	}
	text := st.text.String()
	if label, sep := r.numberLabel(st, idx); label != "" {
		text = label + sep + text
	}
	return docPara{text: text, index: idx}, nil
}

// skipFinding consumes the current element and reports whether an element
// with the given local name occurs inside it.
func (r *docxReader) skipFinding(local string) (bool, error) {
	found := false
	depth := 1
	for depth > 0 {
		tok, err := r.dec.Token()
		if err != nil {
			if err == io.EOF {
				return found, io.ErrUnexpectedEOF
			}
			return found, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if t.Name.Local == local {
				found = true
			}
		case xml.EndElement:
			depth--
		}
	}
	return found, nil
}

// chardata reads the text content of the current element up to its end.
func (r *docxReader) chardata() (string, error) {
	var b strings.Builder
	depth := 1
	for depth > 0 {
		tok, err := r.dec.Token()
		if err != nil {
			if err == io.EOF {
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if depth == 1 {
				b.Write(t)
			}
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return b.String(), nil
}

func attr(e xml.StartElement, local string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// pPr reads the paragraph style and numbering properties.
func (r *docxReader) pPr(se xml.StartElement, st *paraState) error {
	var walk func(xml.StartElement) error
	walk = func(e xml.StartElement) error {
		switch e.Name.Local {
		case "pStyle":
			st.style, _ = attr(e, "val")
		case "numPr":
			return r.children(e, walk)
		case "ilvl":
			if v, ok := attr(e, "val"); ok {
				st.ilvl, _ = strconv.Atoi(v)
				st.hasIlvl = true
			}
		case "numId":
			if v, ok := attr(e, "val"); ok {
				st.numID, st.hasNumID = v, true
			}
		}
		return r.dec.Skip()
	}
	return r.children(se, walk)
}

// rPr notes hidden text (w:vanish) for the current run.
func (r *docxReader) rPr(se xml.StartElement, st *paraState) error {
	return r.children(se, func(e xml.StartElement) error {
		if e.Name.Local == "vanish" {
			v, ok := attr(e, "val")
			st.runHidden = !ok || (v != "0" && v != "false" && v != "off")
		}
		return r.dec.Skip()
	})
}

// table reads a w:tbl. A row with two or more filled cells becomes one
// line, the cells separated by tabs (paragraphs within a cell by a space);
// a row with a single filled cell (a frame drawn around text) gives that
// cell's paragraphs as ordinary lines. Nested tables are flattened into
// their cell.
func (r *docxReader) table(se xml.StartElement) error {
	return r.children(se, func(e xml.StartElement) error {
		if e.Name.Local != "tr" {
			return r.dec.Skip()
		}
		var cells [][]docPara
		var cell func(e xml.StartElement) error
		cell = func(e xml.StartElement) error {
			switch e.Name.Local {
			case "tc":
				saved := r.paras
				r.paras = nil
				err := r.children(e, r.block)
				cells = append(cells, r.paras)
				r.paras = saved
				return err
			case "sdt", "sdtContent", "customXml":
				return r.children(e, cell) // content controls around cells
			}
			return r.dec.Skip()
		}
		err := r.children(e, cell)
		if err != nil {
			return err
		}
		filled := 0
		for _, c := range cells {
			if cellText(c) != "" {
				filled++
			}
		}
		if filled <= 1 {
			for _, c := range cells {
				r.paras = append(r.paras, c...)
			}
			return nil
		}
		texts := make([]string, len(cells))
		index := 0
		for i, c := range cells {
			texts[i] = cellText(c)
			if index == 0 && len(c) > 0 {
				index = c[0].index
			}
		}
		r.paras = append(r.paras, docPara{text: strings.Join(texts, "\t"), index: index})
		return nil
	})
}

// cellText joins a cell's paragraphs with a full-width space, tabs and
// breaks inside them turned into spaces so the row stays one line.
func cellText(ps []docPara) string {
	var parts []string
	for _, p := range ps {
		s := trimSpace(strings.NewReplacer("\t", "　", "\n", "　").Replace(p.text))
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "　")
}

// numberLabel reconstructs the automatic number of a paragraph and the
// separator after it.
func (r *docxReader) numberLabel(st *paraState, idx int) (string, string) {
	numID, ilvl, hasIlvl := st.numID, st.ilvl, st.hasIlvl
	if !st.hasNumID && st.style != "" {
		if ref, ok := r.num.styleRef(st.style); ok {
			numID = ref.numID
			if !hasIlvl && ref.hasIlvl {
				ilvl, hasIlvl = ref.ilvl, true
			}
		}
	}
	if numID == "" || numID == "0" {
		return "", ""
	}
	if !r.num.loaded {
		r.warnOnce("nonum", idx, "Word の自動番号が使われていますが、番号の定義がないため番号を再現できませんでした。番号を確認してください。")
		return "", ""
	}
	label, sep, problem := r.num.next(numID, ilvl, hasIlvl, st.style)
	if problem != "" {
		r.warnOnce("num:"+numID+":"+strconv.Itoa(ilvl)+":"+problem, idx, problem)
	}
	return label, sep
}
