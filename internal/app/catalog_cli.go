package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"sort"

	"mamori/content"
	"mamori/internal/catalog"
)

// catalogCmd: `mamori catalog stats [--json]` and `mamori catalog coverage`
// on the shipped catalogue (or --dir, a folder laid out like content/catalog).
func (c CLI) catalogCmd(_ context.Context, args []string) error {
	flags := flag.NewFlagSet("catalog", flag.ContinueOnError)
	flags.SetOutput(c.Stderr)
	asJSON := flags.Bool("json", false, "stats: JSON で出力します")
	dir := flags.String("dir", "", "検査するフォルダ（content/catalog と同じ構成。省略時は組み込みの内容）")
	flags.Usage = func() {
		fmt.Fprint(c.Stderr, "使い方: mamori catalog stats [--json] | mamori catalog coverage [--dir DIR]\n\nオプション:\n")
		flags.PrintDefaults()
	}
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (pos[0] != "stats" && pos[0] != "coverage") {
		flags.Usage()
		return exitError(2)
	}
	var fsys fs.FS
	if *dir != "" {
		fsys = os.DirFS(*dir)
	} else if fsys, err = fs.Sub(content.FS, "catalog"); err != nil {
		return err
	}
	cat, err := catalog.Load(fsys)
	if err != nil {
		return fmt.Errorf("カタログの内容に問題があります:\n%w", err)
	}
	if pos[0] == "stats" {
		st := cat.Stats()
		if *asJSON {
			enc := json.NewEncoder(c.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(st)
		}
		for _, t := range st.Templates {
			fmt.Fprintf(c.Stdout, "%s（%s）%d年度版: %d 項目（視察 %d）\n", catalog.Kinds[t.Kind], t.Kind, t.Version, t.Items, t.SiteInspectionItems)
		}
		for _, f := range st.Frameworks {
			fmt.Fprintf(c.Stdout, "%s %s: 条項 %d（項目あり %d）\n", f.Code, f.Version, f.Clauses, f.CoveredClauses)
		}
		return nil
	}
	un := cat.Uncovered()
	codes := make([]string, 0, len(un))
	for code := range un {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	n := 0
	for _, code := range codes {
		for _, cl := range un[code] {
			fmt.Fprintf(c.Stdout, "%s:%s %s — 確認する項目がありません\n", code, cl.Number, cl.Title)
			n++
		}
	}
	if n > 0 {
		return fmt.Errorf("%d 件の必須条項に項目がありません: %w", n, catalog.ErrUncovered)
	}
	fmt.Fprintln(c.Stdout, "すべての必須条項に、確認する項目があります。")
	return nil
}
