package auditlog

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// RunVerify is `mamori auditlog verify [--anchor FILE]`: it checks the
// chain (and, with anchorFile, the chain against that anchor) and reports
// to w. A broken chain is returned as the *Break, a missing or wrong key as
// a *KeyError.
func RunVerify(ctx context.Context, l *Log, anchorFile string, w io.Writer) error {
	var a *Anchor
	if anchorFile != "" {
		var err error
		if a, err = ReadAnchorFile(anchorFile); err != nil {
			return err
		}
	}
	r, err := l.Check(ctx, a)
	if err != nil {
		return err
	}
	if r.Break != nil {
		return r.Break
	}
	fmt.Fprintf(w, "監査ログは正常です（%d 件、改ざん・削除は見つかりませんでした）。\n", r.Checked)
	if r.Legacy > 0 {
		fmt.Fprintf(w, "うち %d 件は、鍵を導入する前の形式（鍵なしの SHA-256）で記録されています。\n", r.Legacy)
		if r.Legacy == r.Checked && r.KeyID == "" && l.keyPath != "" {
			if _, err := os.Stat(l.keyPath); err == nil {
				fmt.Fprintln(w, "注意: 鍵ファイルがあるのに、鍵付きのエントリが 1 件もありません。鍵付きの記録が始まっていたはずなら、アンカーファイル（--anchor）で確かめてください。")
			}
		}
	}
	if a != nil {
		fmt.Fprintf(w, "アンカー（%s）とも一致しました。\n", a.describe())
	} else {
		fmt.Fprintln(w, "末尾の削除まで確かめるには、mamori auditlog anchor で作ったアンカーファイルを --anchor で指定してください。")
	}
	return nil
}

// RunAnchor is `mamori auditlog anchor [-o FILE]`: it records the
// anchoring, checks the chain and writes the signed head to out (w when
// out is "" or "-").
func RunAnchor(ctx context.Context, l *Log, out string, w io.Writer) error {
	target := out
	if out == "" || out == "-" {
		target = "標準出力"
	}
	if err := l.Record(ctx, "auditlog.anchor", target, "監査ログのアンカー（署名付きの末尾）を出力"); err != nil {
		return err
	}
	r, err := l.Check(ctx, nil)
	if err != nil {
		return err
	}
	if r.Break != nil {
		return fmt.Errorf("監査ログが壊れているため、アンカーを作成できません。%w", r.Break)
	}
	a, err := l.Anchor(ctx)
	if err != nil {
		return err
	}
	if out == "" || out == "-" {
		_, err := a.WriteTo(w)
		return err
	}
	tmp := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".part")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("アンカーファイル %s を作成できません: %w", out, err)
	}
	_, err = a.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, out)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("アンカーファイル %s を書き込めません: %w", out, err)
	}
	fmt.Fprintf(w, "アンカーを作成しました: %s（%s）。\nサーバーとは別の場所（別の機器、印刷、メールなど）に保管してください。mamori auditlog verify --anchor %s で、これより前の書き換えと末尾の削除を確かめられます。\n",
		out, a.describe(), out)
	return nil
}
