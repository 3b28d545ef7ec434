package catalog

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"mamori/internal/database"
)

// ItemUse reports which items of a template records outside the
// catalogue refer to (by item code), with the title of each such record.
// The catalogue refuses to delete an item in use when a spreadsheet is
// imported. A feature that keeps references to items (the checklists
// internal/audit saves) registers its ItemUse: the catalogue, a shared
// service, cannot import the features.
type ItemUse func(ctx context.Context, db *database.DB, templateID int64) (map[string][]string, error)

var itemUseReg struct {
	sync.RWMutex
	uses map[string]ItemUse
}

// RegisterItemUse adds a feature's use of checklist items under name
// (registering a name again replaces it). Features call it from init.
func RegisterItemUse(name string, use ItemUse) {
	itemUseReg.Lock()
	defer itemUseReg.Unlock()
	if itemUseReg.uses == nil {
		itemUseReg.uses = map[string]ItemUse{}
	}
	itemUseReg.uses[name] = use
}

// itemUses merges what every registered ItemUse reports for a template.
func itemUses(ctx context.Context, db *database.DB, templateID int64) (map[string][]string, error) {
	itemUseReg.RLock()
	names := make([]string, 0, len(itemUseReg.uses))
	for n := range itemUseReg.uses {
		names = append(names, n)
	}
	uses := make([]ItemUse, 0, len(names))
	sort.Strings(names)
	for _, n := range names {
		uses = append(uses, itemUseReg.uses[n])
	}
	itemUseReg.RUnlock()
	out := map[string][]string{}
	for i, use := range uses {
		m, err := use(ctx, db, templateID)
		if err != nil {
			return nil, fmt.Errorf("catalog: item use %s: %w", names[i], err)
		}
		for code, titles := range m {
			out[code] = append(out[code], titles...)
		}
	}
	return out, nil
}
