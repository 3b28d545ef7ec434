package module

import (
	"context"
	"fmt"
	"io"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/docgen/binder"
	"mamori/internal/docgen/formats"
)

// The bound set (製本) of a year's deliverables, made the same way by the
// command line (mamori binder) and by programme management's background
// job: every deliverable built, bound into one print-ready PDF, and
// rendered in each of its formats into the electronic set's ZIP.

// Renderers are the formats Mamori writes, by name.
var Renderers = func() map[string]binder.Renderer {
	m := map[string]binder.Renderer{}
	for _, f := range formats.All {
		m[f.Name] = f.Render
	}
	return m
}()

// BoundItems builds deliverables ds into the bound set's items, in their
// order, each document carrying its deliverable's title. step (may be nil)
// is told of each deliverable before it is built.
func BoundItems(ctx context.Context, ds []YearDeliverable, step func(i int, title string)) ([]binder.Item, error) {
	var items []binder.Item
	for i, d := range ds {
		for _, f := range d.Formats {
			if _, ok := Renderers[f]; !ok {
				return nil, fmt.Errorf("%sの成果物「%s」: 形式 %q には対応していません", d.Module, d.Title, f)
			}
		}
		if step != nil {
			step(i, d.Title)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		doc, err := d.Build(ctx)
		if err != nil {
			return nil, fmt.Errorf("%sの成果物「%s」を作成できません: %w", d.Module, d.Title, err)
		}
		if d.Title != "" {
			doc.Meta.Title = d.Title
		}
		items = append(items, binder.Item{Doc: doc, Formats: d.Formats})
	}
	return items, nil
}

// BoundSteps is how many steps WriteBoundSet reports for items: the bound
// PDF, then each file of the ZIP.
func BoundSteps(items []binder.Item) int { return 1 + binder.Files(items) }

// WriteBoundSet writes the bound set of items: the print-ready PDF to pdf
// and the electronic set (each document in each of its formats, with
// index.xlsx) to zipw. step (may be nil) is told of each step done.
func WriteBoundSet(pdf, zipw io.Writer, meta docgen.Meta, items []binder.Item, now time.Time, step func(msg string)) error {
	if err := formats.PDF.Render(pdf, binder.Bind(meta, items)); err != nil {
		return fmt.Errorf("製本 PDF: %w", err)
	}
	if step != nil {
		step("製本 PDF")
	}
	return binder.WriteZIP(zipw, meta, items, Renderers, now, step)
}
