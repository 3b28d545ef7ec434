package policy

// This file is `mamori policy diff` — the 新旧対照表 or 見え消し版 of two
// files without any database — and the benchmark `mamori bench policy`
// runs (internal/app dispatches it with the other benchmarks).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/module"
	"mamori/internal/policy/compare"
	"mamori/internal/policy/provision"
)

// cliUsage is policy revision's lines of `mamori --help`.
const cliUsage = `policy diff OLD NEW -o FILE
                           二つの規程（DOCX・Markdown・テキスト）の新旧対照表を出力します
                           （--format xlsx|docx|pdf|html、--redline で見え消し版）`

// Commands implements module.Commander: `mamori policy diff`.
func (m *Module) Commands() []module.Command {
	return []module.Command{{Name: "policy", Usage: cliUsage, Run: runDiff}}
}

// runDiff: `mamori policy diff OLD NEW --format xlsx|docx|pdf|html -o FILE`
// writes the 新旧対照表 (or, with --redline, the 見え消し版) of two files —
// DOCX, Markdown or plain text — without any database or setup.
func runDiff(_ context.Context, cli *module.CLI, args []string) error {
	fs := cli.Flags("policy", `使い方: mamori policy diff OLD NEW -o FILE [--format xlsx|docx|pdf|html] [オプション]

改正前（OLD）と改正後（NEW）の規程（DOCX・Markdown・テキスト）を比べ、新旧対照表を出力します。
条の番号がずれても、移動・分割されても、内容で対応付けます。`)
	out := fs.String("o", "", "出力ファイル（拡張子で形式を決めます）")
	format := fs.String("format", "", "出力形式 xlsx|docx|pdf|html（省略時は -o の拡張子）")
	omit := fs.Bool("omit", false, "改正のない条を（略）とする")
	remarks := fs.Bool("remarks", true, "備考欄（新設・削除・変更）を設ける")
	ignoreSpace := fs.Bool("ignore-space", false, "空白の違いを改正として扱わない")
	ignoreWidth := fs.Bool("ignore-width", false, "全角・半角の違いを改正として扱わない")
	redline := fs.Bool("redline", false, "新旧対照表ではなく見え消し版を出力する（docx は変更履歴付き）")
	title := fs.String("title", "", "表題（省略時は改正後の文書の表題から）")
	author := fs.String("author", "", "見え消しの変更者として記録する所属・氏名（省略時はログイン名）")
	pos, err := module.ParseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 3 || pos[0] != "diff" || *out == "" {
		fs.Usage()
		return module.ExitCode(2)
	}
	ext := strings.ToLower(strings.TrimPrefix(*format, "."))
	if ext == "" {
		ext = strings.ToLower(strings.TrimPrefix(filepath.Ext(*out), "."))
	}
	f, ok := formats.Get(ext)
	if !ok {
		return fmt.Errorf("出力形式 %q には対応していません（xlsx・docx・pdf・html のいずれか）", ext)
	}
	if *redline && ext == "xlsx" {
		return errors.New("見え消し版は docx・pdf・html で出力します")
	}
	oldDoc, err := readPolicyFile(pos[1], "改正前")
	if err != nil {
		return err
	}
	newDoc, err := readPolicyFile(pos[2], "改正後")
	if err != nil {
		return err
	}
	res := compare.Compare(oldDoc, newDoc, compare.Options{IgnoreSpace: *ignoreSpace, IgnoreWidth: *ignoreWidth})
	name := *title
	if name == "" {
		name = newDoc.Title
		if name == "" {
			name = strings.TrimSuffix(filepath.Base(pos[2]), filepath.Ext(pos[2]))
		}
	}
	var d *docgen.Document
	if *redline {
		// The tracked changes' author is whoever makes the draft, not
		// the program.
		who := strings.TrimSpace(*author)
		if who == "" {
			if u, err := user.Current(); err == nil {
				who = u.Username
			}
		}
		d = compare.Redline(res, name+"（見え消し版）", who, time.Now())
	} else {
		d = compare.Table(res, compare.TableOptions{Title: name + " 新旧対照表", OmitSame: *omit, Remarks: *remarks, Date: time.Now()})
	}
	// Rendered in memory first, so a failure leaves no half-written file.
	var buf bytes.Buffer
	if err := f.Render(&buf, d); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(cli.Stdout, summarizeComparison(res))
	if shared(res) == 0 && len(res.Rows) > 0 {
		fmt.Fprintln(cli.Stdout, "注意: 二つの文書に共通する規定が一つもありません。比べるファイルが正しいか確かめてください。")
	}
	fmt.Fprintf(cli.Stdout, "%s を書き出しました。\n", *out)
	return nil
}

func readPolicyFile(path, side string) (*provision.Document, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s のファイル %s を開けません: %w", side, path, err)
	}
	if st.Size() > provision.MaxFileSize {
		return nil, fmt.Errorf("%s のファイル %s は %.1f MB あり、大きすぎます（上限 %d MB）", side, path, float64(st.Size())/(1<<20), provision.MaxFileSize>>20)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s のファイル %s を読めません: %w", side, path, err)
	}
	d, _, err := provision.ReadFile(filepath.Base(path), data)
	if err != nil {
		return nil, fmt.Errorf("%s のファイル %s: %w", side, path, err)
	}
	return d, nil
}

// summarizeComparison counts the rows by status in Japanese.
func summarizeComparison(r *compare.Result) string {
	if r.Identical() {
		return "改正前と改正後に違いはありません。"
	}
	counts := map[string]int{}
	var names []string
	for _, row := range r.Changed() {
		s := row.Status.String()
		if counts[s] == 0 {
			names = append(names, s)
		}
		counts[s]++
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %d", n, counts[n])
	}
	return fmt.Sprintf("改正のある規定 %d（%s）", len(r.Changed()), strings.Join(parts, "、"))
}

// shared counts rows aligning an old unit with a new one.
func shared(r *compare.Result) int {
	n := 0
	for _, row := range r.Rows {
		if len(row.Old) > 0 && len(row.New) > 0 {
			n++
		}
	}
	return n
}

// BenchOptions size the policy benchmark.
type BenchOptions struct {
	Chars   int    // characters of the generated policy
	Changes int    // scattered amendments
	Seed    int64  // generator seed
	OutDir  string // when set, the 新旧対照表 PDF and the two texts are kept there
}

// BenchCommand is `mamori bench policy`: it generates a policy pair of the
// given size with scattered changes, times the comparison and the PDF
// rendering of the 新旧対照表, and times `git diff --no-index --word-diff`
// on the same two texts, printing the figures to w.
func BenchCommand(w io.Writer, o BenchOptions) error {
	oldDoc, newDoc, oldText, newText := compare.GeneratePair(o.Chars, o.Changes, o.Seed)
	fmt.Fprintf(w, "新旧対照表のベンチマーク（改正前 %d 字・改正後 %d 字、改正 %d 箇所、seed %d）\n",
		len([]rune(oldText)), len([]rune(newText)), o.Changes, o.Seed)

	fmt.Fprintf(w, "  形態素辞書の読込み（プロセスごとに 1 回）   %.2f 秒\n", compare.WarmUp().Seconds())

	var res *compare.Result
	var times []time.Duration
	for range 3 {
		runtime.GC()
		start := time.Now()
		res = compare.Compare(oldDoc, newDoc, compare.Options{})
		times = append(times, time.Since(start))
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	ours := times[1]
	fmt.Fprintf(w, "  対応付けと差分（3 回の中央値）               %.3f 秒  %s\n", ours.Seconds(), summarizeComparison(res))

	start := time.Now()
	d := compare.Table(res, compare.TableOptions{Title: "ベンチマーク用規程 新旧対照表", Remarks: true, Date: time.Now()})
	var pdfBuf bytes.Buffer
	if err := formats.PDF.Render(&pdfBuf, d); err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	fmt.Fprintf(w, "  新旧対照表の PDF 作成                        %.2f 秒  %.1f MB\n", time.Since(start).Seconds(), float64(pdfBuf.Len())/(1<<20))

	dir, err := os.MkdirTemp("", "mamori-bench-policy")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.OutDir != "" {
		dir = o.OutDir
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "taishohyo.pdf"), pdfBuf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	oldPath, newPath := filepath.Join(dir, "old.txt"), filepath.Join(dir, "new.txt")
	if err := os.WriteFile(oldPath, []byte(oldText), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(newPath, []byte(newText), 0o644); err != nil {
		return err
	}
	git, err := exec.LookPath("git")
	if err != nil {
		fmt.Fprintln(w, "  git が見つからないため、git diff との比較は省きます。")
		return nil
	}
	var gitOut []byte
	var gtimes []time.Duration
	for range 3 {
		start = time.Now()
		cmd := exec.Command(git, "diff", "--no-index", "--no-color", "--word-diff=plain", oldPath, newPath)
		gitOut, err = cmd.Output()
		gtimes = append(gtimes, time.Since(start))
		var ee *exec.ExitError
		if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) { // 1 = the files differ
			return fmt.Errorf("git diff: %w", err)
		}
	}
	sort.Slice(gtimes, func(i, j int) bool { return gtimes[i] < gtimes[j] })
	fmt.Fprintf(w, "  git diff --no-index --word-diff（中央値）     %.3f 秒\n", gtimes[1].Seconds())
	fmt.Fprintf(w, "  比（Mamori の対応付けと差分 ÷ git diff）      %.2f 倍\n", ours.Seconds()/gtimes[1].Seconds())

	fmt.Fprintln(w, "\n出力の例（Mamori: 【】が傍線部分）:")
	shown := 0
	for _, row := range res.Changed() {
		if shown == 2 {
			break
		}
		if len(row.Old) == 0 || len(row.New) == 0 {
			continue
		}
		fmt.Fprintf(w, "  [%s] %s\n", row.Status, row.Remark)
		fmt.Fprintf(w, "    改正後: %s\n", markedLine(row.NewLines))
		fmt.Fprintf(w, "    改正前: %s\n", markedLine(row.OldLines))
		shown++
	}
	fmt.Fprintln(w, "\n出力の例（git diff --word-diff の最初の差分）:")
	lines := strings.Split(string(gitOut), "\n")
	n := 0
	for _, l := range lines {
		if strings.Contains(l, "[-") || strings.Contains(l, "{+") {
			fmt.Fprintln(w, "  "+truncateRunes(l, 160))
			if n++; n == 3 {
				break
			}
		}
	}
	return nil
}

// markedLine prints the changed lines of a unit with 【】 around changed
// segments; unchanged lines are skipped.
func markedLine(lines [][]compare.Segment) string {
	var parts []string
	for _, l := range lines {
		var b strings.Builder
		changed := false
		for _, s := range l {
			if s.Changed {
				changed = true
				b.WriteString("【" + s.Text + "】")
			} else {
				b.WriteString(s.Text)
			}
		}
		if changed {
			parts = append(parts, truncateRunes(b.String(), 120))
		}
	}
	if len(parts) == 0 {
		return "（傍線部分なし）"
	}
	return strings.Join(parts, " ／ ")
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
