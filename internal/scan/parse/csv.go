package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"mamori/internal/jp"
	"mamori/internal/scan/finding"
)

// CSV columns.
const (
	colTitle = iota
	colSeverity
	colCVSS
	colCWE
	colCVE
	colHost
	colPort
	colProtocol
	colURL
	colComponent
	colVersion
	colFixed
	colFile
	colLine
	colDesc
	colRemedy
	colKey
	colArea
	colService
	colEvidence
	numCols
)

// csvColumns names each column: the label used in messages first, then
// the header names accepted (compared after jp.Key).
var csvColumns = [numCols][]string{
	colTitle:     {"タイトル", "title", "件名", "名称"},
	colSeverity:  {"重大度", "severity", "深刻度", "危険度"},
	colCVSS:      {"CVSS", "cvss_score", "CVSSスコア"},
	colCWE:       {"CWE"},
	colCVE:       {"CVE"},
	colHost:      {"ホスト", "host", "ホスト名", "IPアドレス", "ip"},
	colPort:      {"ポート", "port", "ポート番号"},
	colProtocol:  {"プロトコル", "protocol"},
	colURL:       {"URL"},
	colComponent: {"コンポーネント", "component", "製品", "パッケージ", "package"},
	colVersion:   {"バージョン", "version"},
	colFixed:     {"修正バージョン", "fixed_version", "修正版"},
	colFile:      {"ファイル", "file"},
	colLine:      {"行", "line", "行番号"},
	colDesc:      {"説明", "description", "詳細"},
	colRemedy:    {"対策", "remedy", "対応策", "solution"},
	colKey:       {"キー", "key"},
	colArea:      {"区分", "area"},
	colService:   {"サービス", "service"},
	colEvidence:  {"根拠", "evidence", "証跡"},
}

var csvHeaderIndex = func() map[string]int {
	m := map[string]int{}
	for col, names := range csvColumns {
		for _, n := range names {
			m[jp.Key(n)] = col
		}
	}
	return m
}()

var csvAreas = func() map[string]string {
	m := map[string]string{}
	for _, a := range []string{finding.AreaVulnerability, finding.AreaCrypto, finding.AreaNetwork, finding.AreaConfig, finding.AreaSecret, finding.AreaCode} {
		m[jp.Key(a)] = a
		m[jp.Key(finding.AreaLabel(a))] = a
	}
	for k, a := range map[string]string{
		"脆弱性": finding.AreaVulnerability, "暗号化": finding.AreaCrypto, "証明書": finding.AreaCrypto,
		"通信": finding.AreaNetwork, "ネットワーク": finding.AreaNetwork, "設定不備": finding.AreaConfig,
		"コード": finding.AreaCode, "静的解析": finding.AreaCode,
	} {
		m[jp.Key(k)] = a
	}
	return m
}()

var (
	idSplitRe  = regexp.MustCompile(`[\s,、;；，]+`)
	csvCVERe   = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)
	csvCWERe   = regexp.MustCompile(`^(?:CWE-?)?0*(\d{1,5})$`)
	maxRowErrs = 100
)

func parseCSV(r io.Reader, s *sink, sum *Summary) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	sum.Scanner = "CSV"
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, bom))
	if len(trimmed) == 0 {
		return &Error{Format: CSV, Msg: msgEmpty}
	}
	switch trimmed[0] {
	case '<':
		return &Error{Format: CSV, Msg: "CSV ではありません（XML のファイルです）"}
	case '{', '[':
		return &Error{Format: CSV, Msg: "CSV ではありません（JSON のファイルです）"}
	}
	records, _, err := jp.ReadCSV(data)
	if err != nil {
		var te *jp.TextError
		if errors.As(err, &te) {
			return &Error{Format: CSV, Line: te.Line, Msg: te.Msg}
		}
		return err
	}
	if len(records) == 0 {
		return &Error{Format: CSV, Msg: msgEmpty}
	}
	cols, err := csvHeader(records[0])
	if err != nil {
		return err
	}
	var found []finding.Finding
	var errs []string
	firstBad := 0
	hosts := map[string]bool{}
	for i, rec := range records[1:] {
		row := i + 2
		if blank(rec) {
			continue
		}
		f, rowErrs := csvRow(rec, cols, row)
		if len(rowErrs) > 0 {
			if firstBad == 0 {
				firstBad = row
			}
			errs = append(errs, rowErrs...)
			continue
		}
		if len(errs) > 0 {
			continue // only collecting errors now
		}
		if len(found) >= s.max {
			return s.tooMany()
		}
		found = append(found, f)
	}
	if len(errs) > 0 {
		msg := errs
		if len(msg) > maxRowErrs {
			msg = append(msg[:maxRowErrs:maxRowErrs], fmt.Sprintf("ほか %d 件", len(errs)-maxRowErrs))
		}
		return &Error{Format: CSV, Line: firstBad, Msg: strings.Join(msg, "\n")}
	}
	for _, f := range found {
		if f.Host != "" {
			hosts[f.Host] = true
		}
	}
	sum.Targets = len(hosts)
	for _, f := range found {
		if err := s.put(f); err != nil {
			return err
		}
	}
	return nil
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// csvHeader maps each header cell to a column (-1 for a blank header).
func csvHeader(header []string) ([]int, error) {
	cols := make([]int, len(header))
	seen := map[int]bool{}
	var unknown, dup []string
	for i, h := range header {
		k := jp.Key(h)
		if k == "" {
			cols[i] = -1
			continue
		}
		col, ok := csvHeaderIndex[k]
		if !ok {
			unknown = append(unknown, "「"+strings.TrimSpace(h)+"」")
			continue
		}
		if seen[col] {
			dup = append(dup, "「"+strings.TrimSpace(h)+"」")
		}
		seen[col] = true
		cols[i] = col
	}
	var msgs []string
	if len(unknown) > 0 {
		var names []string
		for _, c := range csvColumns {
			names = append(names, c[0])
		}
		msgs = append(msgs, fmt.Sprintf("見出し %s は使えません（使える見出し：%s。英語名も可）", strings.Join(unknown, ""), strings.Join(names, "・")))
	}
	if len(dup) > 0 {
		msgs = append(msgs, fmt.Sprintf("見出し %s が重複しています", strings.Join(dup, "")))
	}
	if !seen[colTitle] {
		msgs = append(msgs, "見出しに「タイトル」（title）の列がありません")
	}
	if !seen[colSeverity] && !seen[colCVSS] {
		msgs = append(msgs, "見出しに「重大度」（severity）か「CVSS」の列が必要です")
	}
	if len(msgs) > 0 {
		return nil, &Error{Format: CSV, Line: 1, Msg: "1行目（見出し）：" + strings.Join(msgs, "。")}
	}
	return cols, nil
}

// csvRow reads and checks one row.
func csvRow(rec []string, cols []int, row int) (finding.Finding, []string) {
	var v [numCols]string
	var errs []string
	bad := func(col int, format string, a ...any) {
		errs = append(errs, fmt.Sprintf("%d行目「%s」：", row, csvColumns[col][0])+fmt.Sprintf(format, a...))
	}
	for i, cell := range rec {
		if i >= len(cols) || cols[i] < 0 {
			if strings.TrimSpace(cell) != "" {
				errs = append(errs, fmt.Sprintf("%d行目：%d列目は見出しがないのに値があります", row, i+1))
			}
			continue
		}
		v[cols[i]] = strings.TrimSpace(cell)
	}
	f := finding.Finding{
		Title:        v[colTitle],
		Host:         v[colHost],
		URL:          v[colURL],
		Component:    v[colComponent],
		Version:      v[colVersion],
		FixedVersion: v[colFixed],
		File:         v[colFile],
		Description:  v[colDesc],
		Remedy:       v[colRemedy],
		Service:      v[colService],
		Evidence:     v[colEvidence],
	}
	if f.Title == "" {
		bad(colTitle, "空欄です（必須）")
	}
	hasCVSS := false
	if t := jp.Normalize(v[colCVSS]); t != "" {
		n, err := strconv.ParseFloat(t, 64)
		if err != nil || !(n >= 0 && n <= 10) {
			bad(colCVSS, "「%s」は 0〜10 の数値ではありません", v[colCVSS])
		} else {
			f.CVSS, hasCVSS = n, true
		}
	}
	switch t := jp.Normalize(v[colSeverity]); {
	case t != "":
		if sv, ok := finding.ParseSeverity(t); ok {
			f.Severity = sv
		} else if n, err := strconv.ParseFloat(t, 64); err == nil && n >= 0 && n <= 10 {
			f.Severity = finding.FromCVSS(n)
		} else {
			bad(colSeverity, "「%s」は読めません（緊急・高・中・低・情報 または CVSS の数値）", v[colSeverity])
		}
	case hasCVSS:
		f.Severity = finding.FromCVSS(f.CVSS)
	case v[colCVSS] == "":
		bad(colSeverity, "空欄です（重大度か CVSS のどちらかを入力してください）")
	}
	for _, id := range splitIDs(v[colCVE]) {
		u := strings.ToUpper(id)
		if !csvCVERe.MatchString(u) {
			bad(colCVE, "「%s」は CVE 番号（CVE-2024-3094 の形）ではありません", id)
			continue
		}
		f.CVE = append(f.CVE, u)
	}
	for _, id := range splitIDs(v[colCWE]) {
		m := csvCWERe.FindStringSubmatch(strings.ToUpper(id))
		n := 0
		if m != nil {
			n, _ = strconv.Atoi(m[1])
		}
		if n <= 0 {
			bad(colCWE, "「%s」は CWE 番号（CWE-79 の形）ではありません", id)
			continue
		}
		f.CWE = append(f.CWE, "CWE-"+strconv.Itoa(n))
	}
	portText := jp.Normalize(v[colPort])
	protoText := strings.ToLower(jp.Normalize(v[colProtocol]))
	if num, proto, ok := strings.Cut(portText, "/"); ok { // "443/tcp"
		portText = strings.TrimSpace(num)
		if protoText == "" {
			protoText = strings.ToLower(strings.TrimSpace(proto))
		}
	}
	if portText != "" {
		n, err := strconv.Atoi(portText)
		if err != nil || n < 1 || n > 65535 {
			bad(colPort, "「%s」は 1〜65535 のポート番号ではありません", v[colPort])
		} else {
			f.Port = n
		}
	}
	switch protoText {
	case "", "tcp", "udp", "sctp", "icmp":
		f.Protocol = protoText
	default:
		bad(colProtocol, "「%s」は読めません（tcp・udp のいずれか）", v[colProtocol])
	}
	if f.Port > 0 && f.Protocol == "" {
		f.Protocol = "tcp"
	}
	if t := jp.Normalize(v[colLine]); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 {
			bad(colLine, "「%s」は 1 以上の行番号ではありません", v[colLine])
		} else {
			f.Line = n
		}
	}
	if t := v[colArea]; t != "" {
		a, ok := csvAreas[jp.Key(t)]
		if !ok {
			bad(colArea, "「%s」は読めません（脆弱性管理・暗号化・通信制御・設定・秘密情報・ソースコード のいずれか）", t)
		}
		f.Area = a
	} else {
		f.Area = guessArea(&f)
	}
	if len(errs) > 0 {
		return finding.Finding{}, errs
	}
	f.Key = v[colKey]
	if f.Key == "" {
		f.Key = strings.Join([]string{"csv", f.Host, itoaOrEmpty(f.Port), f.URL, f.Component, f.File, itoaOrEmpty(f.Line), f.Title}, "|")
	}
	return f, nil
}

// guessArea chooses an area for a CSV row without 区分.
func guessArea(f *finding.Finding) string {
	switch {
	case len(f.CVE) > 0 || f.Component != "":
		return finding.AreaVulnerability
	case f.File != "":
		return finding.AreaCode
	case f.URL != "":
		return finding.AreaConfig
	case f.Port > 0:
		return finding.AreaNetwork
	}
	return finding.AreaVulnerability
}

func splitIDs(s string) []string {
	var out []string
	for _, p := range idSplitRe.Split(jp.Normalize(s), -1) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func itoaOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
