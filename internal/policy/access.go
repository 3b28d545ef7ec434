package policy

import (
	"context"

	"mamori/internal/web"
)

// documentObject: a policy document that exists (the routes on documents
// are for readers and editors, who see every document).
func (w *Web) documentObject() web.Object {
	return web.AnyObject("policy.document", func(ctx context.Context, id int64) error {
		_, err := w.store.Document(ctx, id)
		return err
	})
}

// versionObject decides per version: readers see every version; everyone
// else signed in sees the adopted and earlier versions of a public document
// (the 基本方針), never a draft nor the 対策基準 and procedures.
func (w *Web) versionObject() web.Object {
	return web.Object{Kind: "policy.version", Allow: func(ctx context.Context, u *web.User, _ web.Scope, id int64) (bool, error) {
		v, err := w.store.Version(ctx, id)
		if err != nil {
			return false, err
		}
		if readers.Has(u.Role) {
			return true, nil
		}
		d, err := w.store.Document(ctx, v.DocumentID)
		if err != nil {
			return false, err
		}
		if d.Kind.Public() && v.Status != StatusDraft {
			return true, nil
		}
		// Which documents the ward has is no secret: say why.
		return false, web.Forbidden()
	}}
}

// changeObject: one change of a revision draft.
func (w *Web) changeObject() web.Object {
	return web.AnyObject("policy.change", func(ctx context.Context, id int64) error {
		_, err := w.store.Change(ctx, id)
		return err
	})
}

// quizObject: one question of a draft's quiz.
func (w *Web) quizObject() web.Object {
	return web.AnyObject("policy.quiz", func(ctx context.Context, id int64) error {
		_, err := w.store.QuestionVersion(ctx, id)
		return err
	})
}

// uploadObject: a policy file uploaded for import, previewed and saved
// only by the person who uploaded it (or the security office).
func (w *Web) uploadObject() web.Object { return w.blobs.Uploaded("policy.upload", "id") }
