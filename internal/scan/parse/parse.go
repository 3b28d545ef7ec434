package parse

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/scan/finding"
)

// Format is a scanner output format Mamori can import.
type Format string

// The supported formats.
const (
	Nmap    Format = "nmap"
	OpenVAS Format = "openvas"
	Trivy   Format = "trivy"
	SARIF   Format = "sarif"
	CSV     Format = "csv"
)

// Formats lists the supported formats in the order they are offered.
var Formats = []Format{Nmap, OpenVAS, Trivy, SARIF, CSV}

// Label is the format's name as shown to users.
func (f Format) Label() string {
	switch f {
	case Nmap:
		return "Nmap XML"
	case OpenVAS:
		return "OpenVAS/Greenbone XML"
	case Trivy:
		return "Trivy JSON"
	case SARIF:
		return "SARIF 2.1"
	case CSV:
		return "CSV"
	}
	return string(f)
}

// ParseFormat reads a format name case-insensitively ("nmap", "OpenVAS",
// also "gvm" and "greenbone"). The error is in Japanese and lists the
// valid names.
func ParseFormat(s string) (Format, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "gvm", "greenbone":
		return OpenVAS, nil
	}
	for _, f := range Formats {
		if t == string(f) {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("形式「%s」には対応していません。%s のいずれかを指定してください", strings.TrimSpace(s), strings.Join(names, "、"))
}

// Default limits, used when a field of Limits is zero.
const (
	DefaultMaxBytes    int64 = 300 << 20
	DefaultMaxFindings       = 2_000_000
)

// Limits bounds what Parse accepts. Zero fields mean the defaults
// (DefaultMaxBytes, DefaultMaxFindings).
type Limits struct {
	MaxBytes    int64 // the most bytes read from the file
	MaxFindings int   // the most findings emitted
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxFindings <= 0 {
		l.MaxFindings = DefaultMaxFindings
	}
	return l
}

// Summary describes a parsed file.
type Summary struct {
	Format         Format
	Scanner        string    // e.g. "Nmap", "OpenVAS", "Trivy", the SARIF tool driver name (first run), "CSV"
	ScannerVersion string    // e.g. "7.94"; empty when the file does not say
	Started        time.Time // when the scan started, if the file says (zero otherwise)
	Finished       time.Time // when the scan finished or the report was made, if the file says
	// Targets is the number of hosts (Nmap: hosts up; OpenVAS and CSV:
	// distinct hosts), Trivy results (targets) or SARIF runs.
	Targets  int
	Findings int // findings emitted
}

// Error is why a file could not be read. Its text is in Japanese.
type Error struct {
	Format Format // the format being read; empty when it could not be determined
	Line   int    // the XML/JSON line or CSV row where known, 0 otherwise
	Msg    string // what is wrong, in Japanese
}

// Error returns e.g. "Nmap XML を読み込めません（120行目）：ファイルが途中で切れています".
// The line part is left out when Line is 0 or Msg already starts with it.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Format != "" {
		b.WriteString(e.Format.Label())
		b.WriteString(" を読み込めません")
	}
	linePart := e.Line > 0 && !strings.HasPrefix(e.Msg, fmt.Sprintf("%d行目", e.Line))
	if linePart {
		fmt.Fprintf(&b, "（%d行目）", e.Line)
	}
	if b.Len() > 0 {
		b.WriteString("：")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Messages shared by the formats.
const (
	msgEmpty     = "ファイルが空です"
	msgTruncated = "ファイルが途中で切れています"
	msgEntity    = "安全のため、実体宣言（<!ENTITY>）や外部参照を含む XML は読み込みません"
	msgDepth     = "要素の入れ子が深すぎます（上限 %d 段）"
	msgNoTitle   = "タイトルも ID もない検出結果があります"
)

// maxDepth caps the nesting of XML elements and JSON values.
const maxDepth = 200

// errTooLarge is returned by limitReader once the file exceeds the limit.
var errTooLarge = errors.New("parse: input exceeds MaxBytes")

// limitReader fails with errTooLarge when more than n bytes are read.
type limitReader struct {
	r io.Reader
	n int64 // bytes still allowed
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// Allowed bytes used up: the file is fine only if it ends here.
		var one [1]byte
		for {
			n, err := l.r.Read(one[:])
			if n > 0 {
				return 0, errTooLarge
			}
			if err != nil {
				return 0, err
			}
		}
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// sink counts, cleans and emits findings.
type sink struct {
	format  Format
	max     int
	n       int
	emit    func(finding.Finding) error
	emitErr error // what emit returned, passed back unchanged
}

// tooMany is the error for a file with more than MaxFindings findings.
func (s *sink) tooMany() error {
	return &Error{Format: s.format, Msg: fmt.Sprintf("検出結果が多すぎます（上限 %d 件）。ファイルを分けて読み込んでください", s.max)}
}

var errNoKey = errors.New("parse: finding without key")

func (s *sink) put(f finding.Finding) error {
	f.Source = string(s.format)
	f.Key = stableKey(f.Key)
	f.Clean()
	if f.Key == "" {
		return errNoKey
	}
	if !f.Severity.Valid() {
		f.Severity = finding.Info
	}
	if s.n >= s.max {
		return s.tooMany()
	}
	s.n++
	if err := s.emit(f); err != nil {
		s.emitErr = err
		return err
	}
	return nil
}

// maxKeyRunes is the longest key Clean keeps intact (it cuts keys like
// other short fields); longer keys are shortened with a hash instead, so
// that two long keys never collide on a cut.
const maxKeyRunes = finding.MaxShort

func stableKey(k string) string {
	k = strings.ToValidUTF8(strings.TrimSpace(k), "�")
	if utf8.RuneCountInString(k) <= maxKeyRunes {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	r := []rune(k)
	return string(r[:maxKeyRunes-34]) + "#" + hex.EncodeToString(sum[:16])
}

// Parse reads a scanner file of format f from r and calls emit for every
// finding, in file order, streaming: memory stays bounded whatever the
// file's size (apart from what the format itself forces, such as SARIF
// rule metadata). It returns a *Error in Japanese when the file cannot be
// read, and whatever emit returns, unchanged, if emit fails; on any error
// the findings emitted so far must be discarded.
//
// r must be the whole file from its first byte (after Detect, pass
// io.MultiReader(bytes.NewReader(head), rest)). A UTF-8 BOM is skipped.
func Parse(r io.Reader, f Format, lim Limits, emit func(finding.Finding) error) (Summary, error) {
	lim = lim.withDefaults()
	sum := Summary{Format: f}
	s := &sink{format: f, max: lim.MaxFindings, emit: emit}
	br := bufio.NewReaderSize(&limitReader{r: r, n: lim.MaxBytes}, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, bom) {
		br.Discard(3)
	}
	var err error
	switch f {
	case Nmap:
		err = parseNmap(br, s, &sum)
	case OpenVAS:
		err = parseOpenVAS(br, s, &sum)
	case Trivy:
		err = parseTrivy(br, s, &sum)
	case SARIF:
		err = parseSARIF(br, s, &sum)
	case CSV:
		err = parseCSV(br, s, &sum)
	default:
		_, perr := ParseFormat(string(f))
		return sum, &Error{Msg: perr.Error()}
	}
	sum.Findings = s.n
	if s.emitErr != nil {
		return sum, s.emitErr
	}
	if errors.Is(err, errTooLarge) {
		return sum, &Error{Format: f, Msg: tooLargeMsg(lim.MaxBytes)}
	}
	if err != nil {
		return sum, asError(f, err)
	}
	return sum, nil
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// asError turns any error into a *Error of format f.
func asError(f Format, err error) error {
	var pe *Error
	if errors.As(err, &pe) {
		if pe.Format == "" {
			pe.Format = f
		}
		return pe
	}
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Format: f, Msg: msgTruncated}
	case errors.Is(err, errNoKey):
		return &Error{Format: f, Msg: msgNoTitle}
	}
	return &Error{Format: f, Msg: "読み込み中にエラーが発生しました（" + err.Error() + "）"}
}

// tooLargeMsg names the limit in the error for a file that is too large.
func tooLargeMsg(max int64) string {
	return fmt.Sprintf("ファイルが大きすぎます（上限 %s）", sizeText(max))
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d バイト", n)
}
