// Package mailmod is outgoing mail as a module of the app: the
// administrator's page of the SMTP settings in force, a test mail, and the
// queue (failed messages put back in it).
package mailmod

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strconv"
	"strings"

	"mamori/internal/database"
	outbox "mamori/internal/mail"
	"mamori/internal/module"
	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// Module is the mail module.
type Module struct {
	d module.Deps
	o *outbox.Outbox
}

// New returns the module.
func New(d module.Deps) *Module { return &Module{d: d, o: d.Mail} }

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{Key: "mail", Label: "メール", Group: module.GroupOrg, Built: true,
		Summary: "催促・リンク・お知らせのメール送信（SMTP）、送信の待ち行列と失敗の一覧。"}
}

// Tables implements module.Tabler.
func (m *Module) Tables() []string { return []string{"mail_outbox"} }

// Nav implements module.Navigator.
func (m *Module) Nav() []web.NavItem {
	return []web.NavItem{{Label: "メール", Path: "/admin/mail", Group: string(module.GroupOrg)}}
}

// Routes implements module.Router.
func (m *Module) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("mail", templateFS, "templates"); err != nil {
		return err
	}
	admin := web.Allow(web.RoleAdmin)
	msg := web.AnyObject("mail.message", func(ctx context.Context, id int64) error {
		var n int
		if err := m.d.DB.QueryRow(ctx, "SELECT COUNT(*) FROM mail_outbox WHERE id = ?", id).Scan(&n); err != nil || n == 0 {
			return database.ErrNotFound
		}
		return nil
	})
	rt.Handle("GET /admin/mail", admin, m.page)
	rt.Handle("POST /admin/mail/test", admin, m.test)
	rt.Handle("POST /admin/mail/settings", admin, m.saveSettings)
	rt.Handle("POST /admin/mail/settings/reset", admin, m.resetSettings)
	rt.Handle("POST /admin/mail/{id}/retry", admin.On(msg), m.retry)
	return nil
}

type pageView struct {
	Enabled    bool
	Config     outbox.Config
	HasPass    bool
	FromScreen bool
	Form       outbox.Settings // the settings form (what is in force, or what was sent)
	FormSent   bool
	Errors     web.FieldErrors
	Rows       []outbox.Row
	Failed     int
	To         string
	Error      string
}

func (m *Module) render(w http.ResponseWriter, r *http.Request, status int, v pageView) error {
	ctx := r.Context()
	if err := m.o.Reload(ctx); err != nil && !errors.As(err, new(web.FieldErrors)) {
		v.Error = strings.TrimPrefix(err.Error(), "mail: ")
	}
	v.Enabled, v.Config = m.o.Enabled(), m.o.Config()
	v.HasPass = m.o.HasPassword()
	fromScreen, err := m.o.FromScreen(ctx)
	if err != nil {
		return err
	}
	v.FromScreen = fromScreen
	if !v.FormSent {
		c := v.Config
		v.Form = outbox.Settings{Host: c.Host, Port: c.Port, Security: c.Security, User: c.User, From: c.From, FromName: c.FromName, Charset: c.Charset, BaseURL: c.BaseURL}
		if v.Form.Security == "" {
			v.Form.Security, v.Form.Charset, v.Form.Port = "starttls", "utf-8", 587
		}
	}
	rows, err := m.o.List(r.Context(), r.URL.Query().Get("status"), 100)
	if err != nil {
		return err
	}
	v.Rows = rows
	failed, err := m.o.List(r.Context(), "failed", 1000)
	if err != nil {
		return err
	}
	v.Failed = len(failed)
	return web.Render(w, r, status, "mail/page", "メール", v)
}

func (m *Module) page(w http.ResponseWriter, r *http.Request) error {
	return m.render(w, r, http.StatusOK, pageView{})
}

// test queues a test mail and sends it at once, reporting the outcome.
func (m *Module) test(w http.ResponseWriter, r *http.Request) error {
	to := strings.TrimSpace(r.PostFormValue("to"))
	if !m.o.Enabled() {
		return m.render(w, r, http.StatusConflict, pageView{To: to, Error: "メールの送信が設定されていません。下の「送信の設定」で SMTP サーバーを設定してください。"})
	}
	if a, err := mail.ParseAddress(to); err != nil || a.Address != to || len(to) > 254 {
		return m.render(w, r, http.StatusUnprocessableEntity, pageView{To: to, Error: "送り先のメールアドレスを正しく入力してください（例: tanaka@city.hinode.lg.jp）。"})
	}
	ctx := r.Context()
	u := web.UserFrom(ctx)
	now := m.d.Now()
	err := m.d.DB.WithTx(ctx, func(ctx context.Context) error {
		if _, err := m.o.Enqueue(ctx, outbox.Message{To: to, Kind: "test", Ref: fmt.Sprintf("user:%d", u.ID),
			Subject: "【Mamori】テストメール（" + m.d.Org.WardName(ctx) + "）",
			Body: "このメールは Mamori の管理画面から送ったテストメールです。\n届いていれば、催促・リンク・お知らせのメールも届きます。\n\n送信者: " + u.DisplayName +
				"\n送信日時: " + now.Format("2006-01-02 15:04") + "\n"}); err != nil {
			return err
		}
		return m.d.Log.Record(ctx, "mail.test", fmt.Sprintf("user:%d", u.ID), "テストメールを "+to+" に送信")
	})
	if err != nil {
		return err
	}
	sent, failed, err := m.o.Flush(ctx, 10)
	if err != nil {
		return err
	}
	switch {
	case sent > 0:
		return web.Redirect(w, r, "/admin/mail", "テストメールを送信しました。届いたか確かめてください。", true)
	case failed > 0:
		return web.Redirect(w, r, "/admin/mail?status=failed", "テストメールを送れませんでした。一覧のエラーを確かめてください。", false)
	}
	return web.Redirect(w, r, "/admin/mail", "テストメールを送信の待ちに入れました（SMTP サーバーに接続できず、あとで再送します）。一覧のエラーを確かめてください。", false)
}

// saveSettings stores the SMTP settings made on this screen; they replace
// the start-up options' on every instance.
func (m *Module) saveSettings(w http.ResponseWriter, r *http.Request) error {
	f := outbox.Settings{Host: strings.TrimSpace(r.PostFormValue("host")), Security: r.PostFormValue("security"),
		User: strings.TrimSpace(r.PostFormValue("user")), Password: r.PostFormValue("password"), ClearPassword: r.PostFormValue("clear_password") == "1",
		From: strings.TrimSpace(r.PostFormValue("from")), FromName: strings.TrimSpace(r.PostFormValue("from_name")),
		Charset: r.PostFormValue("charset"), BaseURL: strings.TrimSpace(r.PostFormValue("base_url"))}
	port := strings.TrimSpace(r.PostFormValue("port"))
	if port == "" && f.Host != "" {
		port = strconv.Itoa(map[string]int{"starttls": 587, "tls": 465, "none": 25}[f.Security])
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil {
			n = -1
		}
		f.Port = n
	}
	if err := m.o.Save(r.Context(), f); err != nil {
		var fe web.FieldErrors
		if errors.As(err, &fe) {
			f.Password = ""
			return m.render(w, r, http.StatusUnprocessableEntity, pageView{Form: f, FormSent: true, Errors: fe})
		}
		return err
	}
	msg := "メールの送信設定を保存しました。すべてのインスタンスに 5 秒ほどで反映されます。テストメールで確かめてください。"
	if f.Host == "" {
		msg = "メールの送信を止めました。催促などは画面の通知だけで行われます。"
	}
	return web.Redirect(w, r, "/admin/mail#settings", msg, true)
}

// resetSettings goes back to the start-up options' settings.
func (m *Module) resetSettings(w http.ResponseWriter, r *http.Request) error {
	if err := m.o.Reset(r.Context()); err != nil {
		return err
	}
	return web.Redirect(w, r, "/admin/mail#settings", "画面で保存した設定を消し、起動オプションの設定に戻しました。", true)
}

func (m *Module) retry(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := m.o.Retry(r.Context(), id); errors.Is(err, database.ErrNotFound) {
		return web.Redirect(w, r, "/admin/mail", "送信に失敗したメールだけを再送できます。", false)
	} else if err != nil {
		return err
	}
	return web.Redirect(w, r, "/admin/mail", "再送の待ちに戻しました。数秒のうちに送信します。", true)
}
