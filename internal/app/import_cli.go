package app

import (
	"context"
	"fmt"
)

func (c CLI) importCmd(ctx context.Context, args []string) error {
	return fmt.Errorf("import: not wired yet")
}
