package module

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Shredder is a module that keeps the files the contractor gathered
// (evidence, site photos, records) encrypted with a key of each object, so
// that destroying the key at contract end destroys every copy of the
// files, backups included (crypto-shredding, seed §4). Programme
// management's `mamori shred` reads and destroys them through
// Deps.Shredders without importing the modules.
type Shredder interface {
	// ShredSets lists fiscal year fy's objects with encrypted files.
	ShredSets(ctx context.Context, fy int) ([]ShredSet, error)
	// DestroyKeys destroys the keys of the sets named by ref (in the
	// caller's transaction) and records it in the audit log.
	DestroyKeys(ctx context.Context, refs []string) error
	// Readable tries every file of set ref and counts those that still
	// decrypt (after destruction: none).
	Readable(ctx context.Context, ref string) (int, error)
}

// ShredSet is one object's encrypted files, under one key.
type ShredSet struct {
	Ref       string // the audit-log target of the object, e.g. audit_engagement:12
	Code      string // the object's code (R8-IA-01), to choose it alone
	Title     string // e.g. 内部監査（戸籍住民課）
	Open      string // why the object's work is not finished yet ("" when it is)
	Destroyed time.Time
	Files     []ShredFile
}

// ShredFile is one encrypted file of a set.
type ShredFile struct {
	Name   string
	Kind   string // 証跡（資料）, 現地写真 …
	SHA256 string // of the plain file
	Size   int64
}

// NamedShredder is a Shredder with its module's key and label.
type NamedShredder struct {
	Key, Label string
	Shredder
}

// RefID is the id of ref, an audit-log target of kind (ref "incident:12",
// kind "incident": 12).
func RefID(ref, kind string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(ref, kind+":"), 10, 64)
	if err != nil || !strings.HasPrefix(ref, kind+":") || id <= 0 {
		return 0, fmt.Errorf("module: %q is not a %s", ref, kind)
	}
	return id, nil
}
