package catalog

import (
	"context"

	"mamori/internal/web"
)

// The catalogue is ward-wide reference data: every role a route admits may
// use every framework, clause, template, item and mapping that exists. The
// object checks make a missing id a 404 before any handler runs, and put
// the catalogue in the object-access matrix.
func (w *Web) frameworkObject() web.Object {
	return web.AnyObject("catalog.framework", func(ctx context.Context, id int64) error {
		_, err := w.store.Framework(ctx, id)
		return err
	})
}

func (w *Web) clauseObject() web.Object {
	return web.AnyObject("catalog.clause", func(ctx context.Context, id int64) error {
		_, err := w.store.Clause(ctx, id)
		return err
	})
}

func (w *Web) templateObject() web.Object {
	return web.AnyObject("catalog.template", func(ctx context.Context, id int64) error {
		_, err := w.store.Template(ctx, id)
		return err
	})
}

func (w *Web) itemObject() web.Object {
	return web.AnyObject("catalog.item", func(ctx context.Context, id int64) error {
		_, err := w.store.Item(ctx, id)
		return err
	})
}

func (w *Web) mappingObject() web.Object {
	return web.AnyObject("catalog.mapping", func(ctx context.Context, id int64) error {
		_, _, err := w.store.MappingOf(ctx, id)
		return err
	})
}

// uploadObject is an edited checklist uploaded for import: only the person
// who uploaded it, or the security office, may preview or apply it.
func (w *Web) uploadObject() web.Object { return w.blobs.Uploaded("catalog.upload", "file") }
