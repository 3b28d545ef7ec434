// Package auditlog keeps Mamori's append-only audit log: every change,
// login, failed login, permission denial and download, each entry chained to
// the previous one by SHA-256 so that altering or deleting a row is found by
// Verify.
package auditlog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"mamori/internal/database"
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
}

// Log writes and reads the audit log.
type Log struct {
	db  *database.DB
	now func() time.Time
}

// New returns a Log on db using clock now.
func New(db *database.DB, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{db: db, now: now}
}

// hashOf is the chain hash of an entry; every field is quoted so that no two
// different entries share a pre-image.
func hashOf(e Entry) string {
	s := fmt.Sprintf("%s|%d|%s|%d|%q|%q|%q|%q|%q", e.PrevHash, e.ID, database.FormatTime(e.At), e.UserID,
		e.Login, e.Action, e.Target, e.Detail, e.IP)
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Record appends an entry for the actor in ctx. Inside a transaction it
// joins it, so the entry commits or rolls back with the change it records.
func (l *Log) Record(ctx context.Context, action, target, detail string) error {
	a := ActorFrom(ctx)
	return l.db.WithTx(ctx, func(ctx context.Context) error {
		// Updating the head row first locks it on PostgreSQL; SQLite has one writer.
		if _, err := l.db.Exec(ctx, "UPDATE audit_head SET last_id = last_id + 1 WHERE id = 1"); err != nil {
			return fmt.Errorf("auditlog.Record: %w", err)
		}
		e := Entry{At: l.now().UTC().Truncate(time.Microsecond), UserID: a.UserID, Login: a.Login,
			Action: action, Target: target, Detail: detail, IP: a.IP}
		if err := l.db.QueryRowWrite(ctx, "SELECT last_id, last_hash FROM audit_head WHERE id = 1").Scan(&e.ID, &e.PrevHash); err != nil {
			return fmt.Errorf("auditlog.Record: %w", err)
		}
		e.Hash = hashOf(e)
		var uid any
		if e.UserID != 0 {
			uid = e.UserID
		}
		if _, err := l.db.Exec(ctx, `INSERT INTO audit_log (id, at, user_id, login, action, target, detail, ip, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, database.T(e.At), uid, e.Login, e.Action, e.Target, e.Detail, e.IP, e.PrevHash, e.Hash); err != nil {
			return fmt.Errorf("auditlog.Record: %w", err)
		}
		if _, err := l.db.Exec(ctx, "UPDATE audit_head SET last_hash = ? WHERE id = 1", e.Hash); err != nil {
			return fmt.Errorf("auditlog.Record: %w", err)
		}
		return nil
	})
}

// Filter selects entries to list or export.
type Filter struct {
	From, To time.Time // To is exclusive
	Login    string
	Action   string // prefix match, e.g. "staff." or "login"
	Text     string // substring of target or detail
	Limit    int
	Offset   int
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
		conds = append(conds, "action LIKE ?")
		args = append(args, escapeLike(f.Action)+"%")
	}
	if f.Text != "" {
		conds = append(conds, "(target LIKE ? OR detail LIKE ?)")
		like := "%" + escapeLike(f.Text) + "%"
		args = append(args, like, like)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func escapeLike(s string) string {
	// Both dialects treat % and _ as wildcards; user text rarely has them,
	// and over-matching a filter is harmless, so they are simply dropped.
	return strings.NewReplacer("%", "", "_", "").Replace(s)
}

// List returns the entries matching f, newest first, and the total count.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, int, error) {
	where, args := f.where()
	var total int
	if err := l.db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("auditlog.List: %w", err)
	}
	q := "SELECT id, at, COALESCE(user_id, 0), login, action, target, detail, ip, prev_hash, hash FROM audit_log" + where + " ORDER BY id DESC"
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

type scanner interface{ Scan(...any) error }

func scan(s scanner) (Entry, error) {
	var e Entry
	var at database.Time
	if err := s.Scan(&e.ID, &at, &e.UserID, &e.Login, &e.Action, &e.Target, &e.Detail, &e.IP, &e.PrevHash, &e.Hash); err != nil {
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

// Verify walks the whole chain and returns how many entries it checked and
// the first broken link, or nil when the chain is intact.
func (l *Log) Verify(ctx context.Context) (int, *Break, error) {
	rows, err := l.db.Query(ctx, "SELECT id, at, COALESCE(user_id, 0), login, action, target, detail, ip, prev_hash, hash FROM audit_log ORDER BY id")
	if err != nil {
		return 0, nil, fmt.Errorf("auditlog.Verify: %w", err)
	}
	defer rows.Close()
	var prevID int64
	prevHash := ""
	n := 0
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return n, nil, err
		}
		n++
		switch {
		case e.ID != prevID+1:
			return n, &Break{ID: e.ID, Reason: fmt.Sprintf("ID %d から %d までのエントリが削除されています", prevID+1, e.ID-1)}, nil
		case e.PrevHash != prevHash:
			return n, &Break{ID: e.ID, Reason: "直前のエントリのハッシュと一致しません（直前のエントリが改ざんされたか差し替えられています）"}, nil
		case hashOf(e) != e.Hash:
			return n, &Break{ID: e.ID, Reason: "エントリの内容がハッシュと一致しません（このエントリが改ざんされています）"}, nil
		}
		prevID, prevHash = e.ID, e.Hash
	}
	if err := rows.Err(); err != nil {
		return n, nil, err
	}
	var headID int64
	var headHash string
	if err := l.db.QueryRow(ctx, "SELECT last_id, last_hash FROM audit_head WHERE id = 1").Scan(&headID, &headHash); err != nil {
		return n, nil, fmt.Errorf("auditlog.Verify: %w", err)
	}
	if headID != prevID || headHash != prevHash {
		return n, &Break{ID: prevID + 1, Reason: fmt.Sprintf("末尾のエントリ（ID %d まで）が削除されています", headID)}, nil
	}
	return n, nil, nil
}
