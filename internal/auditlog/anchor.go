package auditlog

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"mamori/internal/database"
)

// anchorFormat names the anchor file format.
const anchorFormat = "mamori-auditlog-anchor/1"

// Anchor is the head of the chain at one moment, signed with the key: kept
// outside the server (another machine, paper, mail), it lets Check find a
// tail that was cut off and the head rewritten, which the chain alone
// cannot show.
type Anchor struct {
	Format    string `json:"format"`
	ID        int64  `json:"id"`         // last entry when the anchor was made
	Hash      string `json:"hash"`       // its chain hash
	At        string `json:"at"`         // when the anchor was made (UTC)
	KeyedFrom int64  `json:"keyed_from"` // first keyed entry (the seal)
	KeyID     string `json:"key_id"`
	MAC       string `json:"mac"` // HMAC over the fields above
}

func (a *Anchor) text() string {
	return fmt.Sprintf("anchor|%s|%d|%s|%s|%d|%s", a.Format, a.ID, a.Hash, a.At, a.KeyedFrom, a.KeyID)
}

// Anchor signs the current head of the chain. The chain must be sealed
// with this Log's key (at least one keyed entry written).
func (l *Log) Anchor(ctx context.Context) (*Anchor, error) {
	h, err := l.readHead(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("auditlog.Anchor: %w", err)
	}
	if h.keyID == "" {
		return nil, &KeyError{Msg: "監査ログにまだ鍵付きのエントリがないため、アンカーを作成できません。"}
	}
	k, err := l.keyFor(h, false)
	if err != nil {
		return nil, err
	}
	a := &Anchor{Format: anchorFormat, ID: h.lastID, Hash: h.lastHash, At: database.FormatTime(l.now()),
		KeyedFrom: h.keyedFrom, KeyID: h.keyID}
	a.MAC = k.mac(a.text())
	return a, nil
}

// verify checks the anchor's signature with k.
func (a *Anchor) verify(k *chainKey) error {
	if k == nil {
		return &KeyError{Msg: "アンカーを確かめるには、監査ログの鍵ファイルが必要です。"}
	}
	if a.KeyID != k.id {
		return &KeyError{Msg: fmt.Sprintf("アンカーファイルは別の鍵（鍵 ID %s）で作られています。%s の鍵 ID は %s です。", a.KeyID, k.name(), k.id)}
	}
	if !hmac.Equal([]byte(k.mac(a.text())), []byte(a.MAC)) {
		return errors.New("アンカーファイルの署名が正しくありません（アンカーファイルが書き換えられています）。")
	}
	return nil
}

// breakIn compares the chain's head (end) and the hash of the anchored
// entry (anchored; "" when it is missing) with the anchor.
func (a *Anchor) breakIn(end head, anchored string) *Break {
	when := a.when()
	switch {
	case end.lastID < a.ID:
		return &Break{ID: end.lastID + 1, Reason: fmt.Sprintf("アンカー作成時（%s）には ID %d までありましたが、現在は ID %d までしかありません（末尾のエントリが削除されています）",
			when, a.ID, end.lastID)}
	case a.ID > 0 && anchored != a.Hash:
		return &Break{ID: a.ID, Reason: fmt.Sprintf("アンカー作成時（%s）から、このエントリのハッシュが変わっています（このエントリまでのどこかが書き換えられています）", when)}
	case end.keyedFrom != a.KeyedFrom || end.keyID != a.KeyID:
		return &Break{ID: min(end.keyedFrom, a.KeyedFrom), Reason: fmt.Sprintf("鍵付きの記録が始まる位置が、アンカー作成時（ID %d）から変わっています（ID %d）", a.KeyedFrom, end.keyedFrom)}
	}
	return nil
}

var jst = time.FixedZone("JST", 9*60*60)

// WriteTo writes the anchor as indented JSON.
func (a *Anchor) WriteTo(w io.Writer) (int64, error) {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return 0, err
	}
	n, err := w.Write(append(b, '\n'))
	return int64(n), err
}

// ReadAnchor reads an anchor written by WriteTo.
func ReadAnchor(r io.Reader) (*Anchor, error) {
	var a Anchor
	dec := json.NewDecoder(io.LimitReader(r, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil || a.Format != anchorFormat {
		return nil, errors.New("Mamori の監査ログのアンカーファイルとして読めません。")
	}
	return &a, nil
}

// ReadAnchorFile reads the anchor file at path.
func ReadAnchorFile(path string) (*Anchor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("アンカーファイル %s を開けません。", path)
	}
	defer f.Close()
	a, err := ReadAnchor(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// when is the anchor's time in Japan time, as messages show it.
func (a *Anchor) when() string {
	if t, err := time.Parse(time.RFC3339Nano, a.At); err == nil {
		return t.In(jst).Format("2006年1月2日 15:04")
	}
	return a.At
}

// describe is a one-line Japanese summary of the anchor.
func (a *Anchor) describe() string {
	return a.when() + " 作成、ID " + strconv.FormatInt(a.ID, 10) + " まで"
}
