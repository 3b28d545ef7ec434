// Package auditlog keeps Mamori's append-only audit log: every change,
// login, failed login, permission denial and download, each entry chained to
// the previous one by HMAC-SHA256 with a key kept outside the database, so
// that altering or deleting a row is found by Verify even when whoever did
// it could write the database. An anchor (the signed head, kept elsewhere)
// also finds a cut-off tail.
package auditlog

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// Actor is who is acting and from where; the web layer puts it in the
// request context, sub-commands put a CLI actor there.
type Actor struct {
	UserID int64
	Login  string
	IP     string
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or a "system" actor.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Login: "system"}
}

// Entry is one audit-log row.
type Entry struct {
	ID       int64
	At       time.Time
	UserID   int64
	Login    string
	Action   string
	Target   string
	Detail   string
	IP       string
	PrevHash string
	Hash     string
	Chain    int // 0: plain SHA-256 (before the chain was keyed); 1: HMAC-SHA256 with the key
}

// Log writes and reads the audit log.
type Log struct {
	db      *database.DB
	now     func() time.Time
	keyPath string

	mu  sync.Mutex
	key *chainKey // read from keyPath on first use
}

// Option adjusts a Log made by New.
type Option func(*Log)

// KeyFile keys the chain (HMAC-SHA256) with the secret in the file at path,
// which is kept outside the database so that someone who can write the
// database cannot recompute the chain. The file is created (0600, random)
// when the first keyed entry is written; after that it must be kept with
// the data and backed up separately.
func KeyFile(path string) Option {
	return func(l *Log) { l.keyPath = path }
}

// New returns a Log on db using clock now. Without KeyFile (tests,
// throw-away databases) entries are chained with plain SHA-256, and the Log
// refuses to write to or check a chain that was sealed with a key.
func New(db *database.DB, now func() time.Time, opts ...Option) *Log {
	if now == nil {
		now = time.Now
	}
	l := &Log{db: db, now: now}
	for _, o := range opts {
		o(l)
	}
	return l
}

// preimage is the text an entry's hash is made from; every field is quoted
// so that no two different entries share a pre-image.
func preimage(e Entry) string {
	return fmt.Sprintf("%s|%d|%s|%d|%q|%q|%q|%q|%q", e.PrevHash, e.ID, database.FormatTime(e.At), e.UserID,
		e.Login, e.Action, e.Target, e.Detail, e.IP)
}

// hashOf is the unkeyed chain hash (chain 0) of entries written before the
// chain was keyed.
func hashOf(e Entry) string {
	sum := sha256.Sum256([]byte(preimage(e)))
	return hex.EncodeToString(sum[:])
}

// head is the audit_head row: the end of the chain and its seal.
type head struct {
	lastID    int64
	lastHash  string
	keyedFrom int64  // first keyed entry; 0 while unsealed
	keyID     string // id of the key the chain is sealed with
	keyMAC    string // the key's MAC over keyedFrom and keyID
}

// headColumns are the head's columns in scanHead's order.
const headColumns = "last_id, last_hash, keyed_from, key_id, key_mac"

func scanHead(row *sql.Row) (head, error) {
	var h head
	err := row.Scan(&h.lastID, &h.lastHash, &h.keyedFrom, &h.keyID, &h.keyMAC)
	return h, err
}

func (l *Log) readHead(ctx context.Context, write bool) (head, error) {
	const q = "SELECT " + headColumns + " FROM audit_head WHERE id = 1"
	query := l.db.QueryRow
	if write {
		query = l.db.QueryRowWrite
	}
	return scanHead(query(ctx, q))
}

// loadKey reads the key file, creating it when create is set and it does
// not exist. A Log without a key file returns nil.
func (l *Log) loadKey(create bool) (*chainKey, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.key != nil || l.keyPath == "" {
		return l.key, nil
	}
	k, err := readKeyFile(l.keyPath)
	if errors.Is(err, fs.ErrNotExist) && create {
		k, err = createKeyFile(l.keyPath)
	}
	if err != nil {
		return nil, err
	}
	l.key = k
	return k, nil
}

// keyFor returns the key to write or check the chain under h with: nil for
// an unkeyed Log on an unsealed chain (or, when !create, for a missing key
// file on an unsealed chain). A missing or different key on a sealed chain
// is a *KeyError.
func (l *Log) keyFor(h head, create bool) (*chainKey, error) {
	if l.keyPath == "" {
		if h.keyID != "" {
			return nil, &KeyError{Msg: fmt.Sprintf("監査ログは鍵（鍵 ID %s）で保護されていますが、鍵ファイルが指定されていません。", h.keyID)}
		}
		return nil, nil
	}
	k, err := l.loadKey(create && h.keyID == "")
	if errors.Is(err, fs.ErrNotExist) {
		if h.keyID == "" {
			return nil, nil
		}
		return nil, &KeyError{Msg: fmt.Sprintf("監査ログの鍵ファイル %s がありません。この監査ログは鍵 ID %s で保護されています。"+
			"元のサーバーの鍵ファイル（auditlog.key）をデータフォルダに置くか、--audit-key-file（MAMORI_AUDIT_KEY_FILE）で指定してください。", l.keyPath, h.keyID)}
	}
	if err != nil {
		var ke *KeyError
		if errors.As(err, &ke) {
			return nil, err
		}
		return nil, &KeyError{Msg: fmt.Sprintf("監査ログの鍵ファイル %s を読めません: %v", l.keyPath, err)}
	}
	if h.keyID != "" && k.id != h.keyID {
		return nil, &KeyError{Msg: fmt.Sprintf("監査ログの鍵が一致しません。%s（鍵 ID %s）は、この監査ログを記録した鍵（鍵 ID %s）ではありません。"+
			"元のサーバーの鍵ファイルを指定してください。", k.name(), k.id, h.keyID)}
	}
	return k, nil
}

// CheckKey reports a *KeyError when the chain is sealed with a key that
// this Log does not have, so that a server refuses to start rather than
// fail on every change.
func (l *Log) CheckKey(ctx context.Context) error {
	h, err := l.readHead(ctx, false)
	if err != nil {
		return fmt.Errorf("auditlog.CheckKey: %w", err)
	}
	if h.keyID == "" {
		return nil
	}
	_, err = l.keyFor(h, false)
	return err
}

// Record appends an entry for the actor in ctx. Inside a transaction it
// joins it, so the entry commits or rolls back with the change it records.
// The first keyed entry seals the chain: from it on, every entry must be
// keyed.
func (l *Log) Record(ctx context.Context, action, target, detail string) error {
	a := ActorFrom(ctx)
	return l.RecordBatch(ctx, []Pending{{Actor: a, Action: action, Target: target, Detail: detail}})
}

// Pending is one entry of RecordBatch, with its own actor.
type Pending struct {
	Actor                  Actor
	Action, Target, Detail string
}

// RecordBatch appends entries in one transaction (the caller's, when ctx
// carries one) that locks the chain's head once: for work that commits
// many people's changes together (survey answers collected in batches).
func (l *Log) RecordBatch(ctx context.Context, entries []Pending) error {
	if len(entries) == 0 {
		return nil
	}
	return l.db.WithTx(ctx, func(ctx context.Context) error {
		// Updating the head row first locks it on PostgreSQL; SQLite has one writer.
		h, err := scanHead(l.db.QueryRowWrite(ctx, "UPDATE audit_head SET last_id = last_id + ? WHERE id = 1 RETURNING "+headColumns, len(entries)))
		if err != nil {
			return fmt.Errorf("auditlog.Record: %w", err)
		}
		k, err := l.keyFor(h, true)
		if err != nil {
			return err
		}
		at := l.now().UTC().Truncate(time.Microsecond)
		prev := h.lastHash
		first := h.lastID - int64(len(entries)) + 1
		args := make([]any, 0, 11*len(entries))
		for i, p := range entries {
			a := p.Actor
			e := Entry{ID: first + int64(i), PrevHash: prev, At: at, UserID: a.UserID, Login: a.Login,
				Action: p.Action, Target: p.Target, Detail: p.Detail, IP: a.IP}
			if k != nil {
				e.Chain, e.Hash = 1, k.hash(e)
				if h.keyID == "" {
					h.keyedFrom, h.keyID, h.keyMAC = e.ID, k.id, k.sealMAC(e.ID)
				}
			} else {
				e.Hash = hashOf(e)
			}
			var uid any
			if e.UserID != 0 {
				uid = e.UserID
			}
			args = append(args, e.ID, database.T(e.At), uid, e.Login, e.Action, e.Target, e.Detail, e.IP, e.PrevHash, e.Hash, e.Chain)
			prev = e.Hash
		}
		if err := l.db.InsertRowsAnd(ctx, "audit_log", logColumns, args,
			"UPDATE audit_head SET last_hash = ?, keyed_from = ?, key_id = ?, key_mac = ? WHERE id = 1",
			prev, h.keyedFrom, h.keyID, h.keyMAC); err != nil {
			return fmt.Errorf("auditlog.Record: %w", err)
		}
		return nil
	})
}

var logColumns = []string{"id", "at", "user_id", "login", "action", "target", "detail", "ip", "prev_hash", "hash", "chain"}

// Filter selects entries to list or export. The zero Filter is every
// entry, newest first.
type Filter struct {
	From, To time.Time // To is exclusive
	Login    string
	Action   string   // prefix match, e.g. "staff." or "login"
	Actions  []string // any of these codes exactly (nil: any)
	Text     string   // substring of target or detail
	// Who are folded words (jp.SearchWords) each of which is in the login
	// or in the display name of the entry's user.
	Who []string
	// Target is what the 対象 filter asked for (ParseTargetFilter).
	Target TargetMatch
	// Words are folded search words each of which is somewhere in the
	// entry: detail, target, login, the user's display name, or the
	// action's code or Japanese name.
	Words []string
	// Sort is "" (by time), "user" (login) or "action" (code); the order
	// is newest first, or A to Z, unless Reverse. Ties go newest first.
	Sort    string
	Reverse bool
	Limit   int
	Offset  int
}

func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	if !f.From.IsZero() {
		conds = append(conds, "at >= ?")
		args = append(args, database.T(f.From))
	}
	if !f.To.IsZero() {
		conds = append(conds, "at < ?")
		args = append(args, database.T(f.To))
	}
	if f.Login != "" {
		conds = append(conds, "login = ?")
		args = append(args, f.Login)
	}
	if f.Action != "" {
		conds = append(conds, "action LIKE ? ESCAPE '!'")
		args = append(args, escapeLike(f.Action)+"%")
	}
	if f.Actions != nil {
		c, a := in("action", f.Actions)
		conds, args = append(conds, c), append(args, a...)
	}
	if f.Text != "" {
		conds = append(conds, "(target LIKE ? ESCAPE '!' OR detail LIKE ? ESCAPE '!')")
		like := "%" + escapeLike(f.Text) + "%"
		args = append(args, like, like)
	}
	for _, w := range f.Who {
		var ors []string
		for _, v := range variants(w) {
			like := "%" + escapeLike(v) + "%"
			ors = append(ors, "LOWER(login) LIKE ? ESCAPE '!'", "user_id IN (SELECT id FROM users WHERE "+nameLike+" OR LOWER(login) LIKE ? ESCAPE '!')")
			args = append(args, like, like, like)
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	if t := f.Target; len(t.Exact)+len(t.Prefixes) > 0 || t.Contains != "" {
		var ors []string
		if len(t.Exact) > 0 {
			c, a := in("target", t.Exact)
			ors, args = append(ors, c), append(args, a...)
		}
		for _, p := range t.Prefixes {
			ors, args = append(ors, "target LIKE ? ESCAPE '!'"), append(args, escapeLike(p)+"%")
		}
		if t.Contains != "" {
			ors, args = append(ors, "LOWER(target) LIKE ? ESCAPE '!'"), append(args, "%"+escapeLike(strings.ToLower(t.Contains))+"%")
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	for _, w := range f.Words {
		var ors []string
		for _, v := range variants(w) {
			like := "%" + escapeLike(v) + "%"
			ors = append(ors, "LOWER(detail) LIKE ? ESCAPE '!'", "LOWER(target) LIKE ? ESCAPE '!'", "LOWER(login) LIKE ? ESCAPE '!'",
				"LOWER(action) LIKE ? ESCAPE '!'", "user_id IN (SELECT id FROM users WHERE "+nameLike+")")
			args = append(args, like, like, like, like, like)
		}
		if codes := actionsNamed(w); len(codes) > 0 {
			c, a := in("action", codes)
			ors, args = append(ors, c), append(args, a...)
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// in is "col IN (?, …)" for vs (never true for none).
func in(col string, vs []string) (string, []any) {
	if len(vs) == 0 {
		return "1 = 0", nil
	}
	args := make([]any, len(vs))
	for i, v := range vs {
		args[i] = v
	}
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(vs)), ", ") + ")", args
}

// variants are the spellings a folded word may have in stored text: as
// folded (katakana, lower case) and in hiragana.
func variants(w string) []string {
	h := strings.Map(func(r rune) rune {
		if r >= 'ァ' && r <= 'ヶ' {
			return r - 0x60
		}
		return r
	}, w)
	if h == w {
		return []string{w}
	}
	return []string{w, h}
}

// actionsNamed are the codes whose Japanese name holds the folded word.
func actionsNamed(w string) []string {
	var out []string
	for _, g := range ActionGroups {
		for _, a := range g.Actions {
			if strings.Contains(strings.ReplaceAll(jp.Fold(a.Label), " ", ""), w) {
				out = append(out, a.Code)
			}
		}
	}
	return out
}

// escapeLike escapes the LIKE wildcards of s for "LIKE ? ESCAPE '!'"
// (the same on both databases), so that "improvement_action:" is a prefix
// and not a pattern.
func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// nameLike matches a user's display name with its spaces (ASCII and
// full-width) removed, as jp.SearchText stores names: 「山田花子」 finds
// 「山田　花子」.
const nameLike = "REPLACE(REPLACE(LOWER(display_name), ' ', ''), '　', '') LIKE ? ESCAPE '!'"

func (f Filter) order() string {
	col := map[string]string{"user": "login", "action": actionOrder}[f.Sort]
	switch {
	case col == "" && f.Reverse:
		return " ORDER BY id"
	case col == "":
		return " ORDER BY id DESC"
	case f.Reverse:
		return " ORDER BY " + strings.ReplaceAll(col, ", ", " DESC, ") + " DESC, id DESC"
	}
	return " ORDER BY " + col + ", id DESC"
}

// actionOrder sorts actions as the filter lists them (area by area, as
// in ActionGroups), codes without a name last.
var actionOrder = func() string {
	var b strings.Builder
	b.WriteString("CASE action")
	n := 0
	for _, g := range ActionGroups {
		for _, a := range g.Actions {
			n++
			fmt.Fprintf(&b, " WHEN '%s' THEN %d", strings.ReplaceAll(a.Code, "'", "''"), n)
		}
	}
	fmt.Fprintf(&b, " ELSE %d END, action", n+1)
	return b.String()
}()

// List returns the entries matching f in f's order (newest first by
// default) and the total count.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, int, error) {
	where, args := f.where()
	var total int
	if err := l.db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("auditlog.List: %w", err)
	}
	q := "SELECT " + entryColumns + " FROM audit_log" + where + f.order()
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit) + " OFFSET " + strconv.Itoa(f.Offset)
	}
	rows, err := l.db.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("auditlog.List: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// entryColumns are the columns scan reads, in order.
const entryColumns = "id, at, COALESCE(user_id, 0), login, action, target, detail, ip, prev_hash, hash, chain"

type scanner interface{ Scan(...any) error }

func scan(s scanner) (Entry, error) {
	var e Entry
	var at database.Time
	if err := s.Scan(&e.ID, &at, &e.UserID, &e.Login, &e.Action, &e.Target, &e.Detail, &e.IP, &e.PrevHash, &e.Hash, &e.Chain); err != nil {
		return e, fmt.Errorf("auditlog: scan: %w", err)
	}
	e.At = at.Time
	return e, nil
}

// Break describes the first broken link found by Verify.
type Break struct {
	ID     int64
	Reason string
}

func (b *Break) Error() string {
	return fmt.Sprintf("監査ログの連鎖が ID %d で壊れています: %s", b.ID, b.Reason)
}

// Result is what Check found.
type Result struct {
	Checked int    // entries checked
	Legacy  int    // of which hashed without the key (written before the chain was keyed)
	LastID  int64  // the head of the chain
	KeyID   string // id of the key the chain is sealed with; "" when it is not keyed
	Break   *Break // the first broken link; nil when the chain is intact
}

// Verify walks the whole chain and returns how many entries it checked and
// the first broken link, or nil when the chain is intact. A missing or
// wrong key is a *KeyError.
func (l *Log) Verify(ctx context.Context) (int, *Break, error) {
	r, err := l.Check(ctx, nil)
	return r.Checked, r.Break, err
}

// Check walks the whole chain, and when a is not nil also checks the chain
// against that anchor: an entry the anchor covers that was rewritten, or a
// tail cut off after the anchor was made. A chain that changes while it is
// walked (a concurrent write) is walked once more before a break is reported.
func (l *Log) Check(ctx context.Context, a *Anchor) (Result, error) {
	r, moved, err := l.check(ctx, a)
	if err == nil && r.Break != nil && moved {
		r, _, err = l.check(ctx, a)
	}
	return r, err
}

func (l *Log) check(ctx context.Context, a *Anchor) (Result, bool, error) {
	var r Result
	h, err := l.readHead(ctx, false)
	if err != nil {
		return r, false, fmt.Errorf("auditlog.Verify: %w", err)
	}
	k, err := l.keyFor(h, false)
	if err != nil {
		return r, false, err
	}
	r.KeyID = h.keyID
	if a != nil {
		if err := a.verify(k); err != nil {
			return r, false, err
		}
	}
	if h.keyID != "" && !hmac.Equal([]byte(k.sealMAC(h.keyedFrom)), []byte(h.keyMAC)) {
		r.Break = &Break{ID: h.keyedFrom, Reason: "鍵付きハッシュの開始位置の記録（封印）が改ざんされています"}
		return r, false, nil
	}
	rows, err := l.db.Query(ctx, "SELECT "+entryColumns+" FROM audit_log ORDER BY id")
	if err != nil {
		return r, false, fmt.Errorf("auditlog.Verify: %w", err)
	}
	defer rows.Close()
	var prevID int64
	prevHash, anchored := "", ""
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return r, false, err
		}
		r.Checked++
		if br := entryBreak(e, prevID, prevHash, h, k); br != nil {
			r.Break = br
			break
		}
		if e.Chain == 0 {
			r.Legacy++
		}
		if a != nil && e.ID == a.ID {
			anchored = e.Hash
		}
		prevID, prevHash = e.ID, e.Hash
	}
	if err := rows.Err(); err != nil {
		return r, false, err
	}
	rows.Close()
	end, err := l.readHead(ctx, false)
	if err != nil {
		return r, false, fmt.Errorf("auditlog.Verify: %w", err)
	}
	r.LastID = end.lastID
	moved := end != h
	if r.Break != nil {
		return r, moved, nil
	}
	switch {
	case end.lastID != prevID || end.lastHash != prevHash:
		r.Break = &Break{ID: prevID + 1, Reason: fmt.Sprintf("末尾のエントリ（ID %d まで）が削除されています", end.lastID)}
	case h.keyID != "" && end.lastID < h.keyedFrom:
		r.Break = &Break{ID: end.lastID + 1, Reason: fmt.Sprintf("鍵付きで記録された末尾のエントリ（ID %d 以降）が削除されています", h.keyedFrom)}
	case a != nil:
		r.Break = a.breakIn(end, anchored)
	}
	return r, moved, nil
}

// entryBreak checks one entry against the one before it and the seal.
func entryBreak(e Entry, prevID int64, prevHash string, h head, k *chainKey) *Break {
	keyed := h.keyID != "" && e.ID >= h.keyedFrom
	switch {
	case e.ID != prevID+1:
		return &Break{ID: e.ID, Reason: fmt.Sprintf("ID %d から %d までのエントリが削除されています", prevID+1, e.ID-1)}
	case e.PrevHash != prevHash:
		return &Break{ID: e.ID, Reason: "直前のエントリのハッシュと一致しません（直前のエントリが改ざんされたか差し替えられています）"}
	case keyed && e.Chain != 1:
		return &Break{ID: e.ID, Reason: fmt.Sprintf("ID %d 以降は鍵付きで記録されているはずが、鍵なしの形式に書き換えられています（改ざんされています）", h.keyedFrom)}
	case !keyed && e.Chain != 0 && h.keyID == "":
		return &Break{ID: e.ID, Reason: "鍵付きのエントリがありますが、鍵の記録（封印）が消されています（改ざんされています）"}
	case !keyed && e.Chain != 0:
		return &Break{ID: e.ID, Reason: fmt.Sprintf("鍵付きの記録が始まる ID %d より前に鍵付きのエントリがあります（改ざんされています）", h.keyedFrom)}
	case keyed && !hmac.Equal([]byte(k.hash(e)), []byte(e.Hash)), !keyed && hashOf(e) != e.Hash:
		return &Break{ID: e.ID, Reason: "エントリの内容がハッシュと一致しません（このエントリが改ざんされています）"}
	}
	return nil
}
