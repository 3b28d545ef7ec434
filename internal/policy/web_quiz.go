package policy

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"mamori/internal/docgen/formats"
	"mamori/internal/web"
)

type quizView struct {
	L         *Loaded
	Questions []Question
	Changes   map[int64]Change
	Edited    int
	CanEdit   bool
	WithDuty  int // changes that have a staff action
	Error     string
	ErrorID   int64
	Audiences []Audience
}

func (w *Web) renderQuiz(rw http.ResponseWriter, r *http.Request, status int, l *Loaded, errID int64, msg string) error {
	qs, err := w.store.Questions(r.Context(), l.Version.ID)
	if err != nil {
		return err
	}
	cs, err := w.store.Changes(r.Context(), l.Version.ID)
	if err != nil {
		return err
	}
	v := quizView{L: l, Questions: qs, Changes: map[int64]Change{}, CanEdit: editors.Allows(r) && l.Version.Status == StatusDraft, Error: msg, ErrorID: errID, Audiences: Audiences}
	for _, c := range cs {
		v.Changes[c.ID] = c
		if c.StaffAction != "" && len(c.Audiences) > 0 {
			v.WithDuty++
		}
	}
	for _, q := range qs {
		if q.Edited {
			v.Edited++
		}
	}
	return web.Render(rw, r, status, "policy/quiz", "確認問題（案） – "+l.Title(), v)
}

func (w *Web) quiz(rw http.ResponseWriter, r *http.Request) error {
	l, err := w.loadDraft(r)
	if err != nil {
		return err
	}
	return w.renderQuiz(rw, r, http.StatusOK, l, 0, "")
}

func (w *Web) quizGenerate(rw http.ResponseWriter, r *http.Request) error {
	l, err := w.editableDraft(r)
	if err != nil {
		return err
	}
	cs, err := w.store.Changes(r.Context(), l.Version.ID)
	if err != nil {
		return err
	}
	qs := GenerateQuiz(l, cs)
	back := fmt.Sprintf("/policy/versions/%d/quiz", l.Version.ID)
	if len(qs) == 0 {
		return web.Redirect(rw, r, back, "問題を作れる変更がありません。「職員が行うこと」と対象者を記録した変更から問題を作ります。", false)
	}
	if err := w.store.ReplaceQuiz(r.Context(), l.Version.ID, qs); err != nil {
		return err
	}
	return web.Redirect(rw, r, back, fmt.Sprintf("変更の記録から確認問題を %d 問作成しました。内容を確認し、必要に応じて修正してください。", len(qs)), true)
}

func (w *Web) quizQuestion(r *http.Request) (*Loaded, int64, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return nil, 0, err
	}
	vid, err := w.store.QuestionVersion(r.Context(), id)
	if err != nil {
		return nil, 0, err
	}
	l, err := w.store.Load(r.Context(), vid)
	if err != nil {
		return nil, 0, err
	}
	if l.Version.Status != StatusDraft {
		return nil, 0, web.Invalid("この版は%sのため、確認問題は変更できません。", l.Version.Status.Label())
	}
	return l, id, nil
}

func (w *Web) quizUpdate(rw http.ResponseWriter, r *http.Request) error {
	l, id, err := w.quizQuestion(r)
	if err != nil {
		return err
	}
	q := Question{Text: r.FormValue("question"), Explanation: r.FormValue("explanation"),
		Choices: strings.Split(strings.ReplaceAll(r.FormValue("choices"), "\r\n", "\n"), "\n")}
	ans, err := strconv.Atoi(strings.TrimSpace(r.FormValue("answer")))
	if err != nil {
		return w.renderQuiz(rw, r, http.StatusBadRequest, l, id, "正解: 番号で選んでください")
	}
	q.Answer = ans - 1
	as, err := ParseAudiences(r.Form["audience"])
	if err != nil {
		return w.renderQuiz(rw, r, http.StatusBadRequest, l, id, "対象者: "+err.Error())
	}
	q.Audiences = as
	if err := w.store.UpdateQuestion(r.Context(), id, q); err != nil {
		if msg, ok := inputMessage(err); ok {
			return w.renderQuiz(rw, r, http.StatusBadRequest, l, id, msg)
		}
		return err
	}
	return web.Redirect(rw, r, fmt.Sprintf("/policy/versions/%d/quiz#q%d", l.Version.ID, id), "問題を保存しました。", true)
}

func (w *Web) quizDelete(rw http.ResponseWriter, r *http.Request) error {
	l, id, err := w.quizQuestion(r)
	if err != nil {
		return err
	}
	if err := w.store.DeleteQuestion(r.Context(), id); err != nil {
		return err
	}
	return web.Redirect(rw, r, fmt.Sprintf("/policy/versions/%d/quiz", l.Version.ID), "問題を削除しました。", true)
}

func (w *Web) quizExport(rw http.ResponseWriter, r *http.Request) error {
	l, err := w.loadDraft(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format != "json" && format != "yaml" && format != "docx" {
		return web.Invalid("形式は json・yaml・docx のいずれかを指定してください。")
	}
	qs, err := w.store.Questions(r.Context(), l.Version.ID)
	if err != nil {
		return err
	}
	if len(qs) == 0 {
		return web.Invalid("確認問題がまだありません。先に「変更から問題を作成」を押してください。")
	}
	cs, err := w.store.Changes(r.Context(), l.Version.ID)
	if err != nil {
		return err
	}
	now := w.now()
	f := QuizExport(l, qs, cs, now)
	name := web.JoinFileName(format, l.Title(), "確認問題", l.Version.Name())
	ctype := map[string]string{"json": "application/json; charset=utf-8", "yaml": "application/yaml; charset=utf-8", "docx": formats.DOCX.ContentType}[format]
	return web.Send(rw, r, w.log, web.Download{Name: name, ContentType: ctype, Target: versionTarget(l)}, func(out io.Writer) error {
		var b []byte
		var err error
		switch format {
		case "json":
			b, err = f.JSON()
		case "yaml":
			b, err = f.YAML()
		default:
			return formats.DOCX.Render(out, QuizDocument(f, now))
		}
		if err != nil {
			return err
		}
		_, err = out.Write(b)
		return err
	})
}
