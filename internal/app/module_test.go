package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"mamori/internal/app"
	"mamori/internal/module"
	"mamori/internal/web"
	"mamori/internal/webtest"
)

// fixture is the smallest complete workstream: what a new feature package
// writes. Registering it is one line (here: Options.Extra; in the product:
// internal/app/modules.go).
type fixture struct {
	d     module.Deps
	demos *int
}

func (f fixture) Info() module.Info {
	return module.Info{Key: "fixture", Label: "試験用の業務", Path: "/fixture", Group: module.GroupWork, Workstream: 10, Built: true,
		Summary: "モジュールの登録を確かめるための業務。"}
}

func (f fixture) Routes(rt *web.Router) error {
	rt.Handle("GET /fixture", web.SignedIn(), func(w http.ResponseWriter, r *http.Request) error {
		_, err := fmt.Fprintf(w, "試験用の業務の一覧（%s）", f.d.Org.WardName(r.Context()))
		return err
	})
	// Only note 1 may be opened, and by everyone.
	note := web.Allow(web.RoleAdmin, web.RoleStaff).On(web.Object{Kind: "fixture.note",
		Allow: func(ctx context.Context, u *web.User, _ web.Scope, id int64) (bool, error) { return id == 1, nil }})
	rt.Handle("GET /fixture/notes", web.Allow(web.RoleAdmin, web.RoleStaff), func(w http.ResponseWriter, r *http.Request) error {
		_, err := fmt.Fprint(w, "試験用のメモの一覧")
		return err
	})
	rt.Handle("GET /fixture/notes/{id}", note, func(w http.ResponseWriter, r *http.Request) error {
		_, err := fmt.Fprint(w, "試験用のメモ")
		return err
	})
	return nil
}

func (f fixture) Nav() []web.NavItem {
	return []web.NavItem{{Label: "試験用のメモ", Path: "/fixture/notes", Group: string(module.GroupRegister)}}
}

func (f fixture) CreateDemo(ctx context.Context, d module.Demo) error {
	d.Progress("試験用の業務のデモデータ")
	*f.demos++
	return nil
}

func (f fixture) Tiles(ctx context.Context, u *web.User) ([]module.Tile, error) {
	return []module.Tile{{Label: "試験用の件数", Value: "3 件", Alert: true}}, nil
}

func (f fixture) Commands() []module.Command {
	return []module.Command{{Name: "fixture", Usage: "fixture                    試験用の業務のコマンドです",
		Run: func(ctx context.Context, cli *module.CLI, args []string) error {
			fmt.Fprintln(cli.Stdout, "試験用のコマンドを実行しました", strings.Join(args, ","))
			return nil
		}}}
}

// TestAddingAModule registers a module by one line and finds every part of
// it wired: its page and navigation entry, its object check, its demo data,
// its home tile and its sub-command.
func TestAddingAModule(t *testing.T) {
	demos := 0
	extra := func(d module.Deps) module.Module { return fixture{d: d, demos: &demos} }
	ta := webtest.Start(t, webtest.Options{Demo: true, Extra: []func(module.Deps) module.Module{extra}})
	if demos != 1 {
		t.Errorf("fixture demo ran %d times, want 1", demos)
	}
	staff := ta.As("staff")
	staff.Get("/fixture").Want(http.StatusOK, "試験用の業務の一覧（ひので区）")
	home := staff.Get("/").Want(http.StatusOK, "試験用の業務", `href="/fixture"`, "試験用の件数", "3 件", `href="/fixture/notes"`)
	_ = home
	staff.Get("/fixture/notes/1").Want(http.StatusOK, "試験用のメモ")
	staff.Get("/fixture/notes/2").Want(http.StatusNotFound)
	if n := ta.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'access.denied' AND target = ?", "/fixture/notes/2 (fixture.note)"); n != 1 {
		t.Errorf("object denial audited %d times, want 1", n)
	}
	// The route rule still comes first: a viewer may not open notes at all.
	ta.As("viewer").Get("/fixture/notes/1").Want(http.StatusForbidden)
	if strings.Contains(ta.As("viewer").Get("/").Body, `href="/fixture/notes"`) {
		t.Error("the viewer's navigation shows a page the viewer may not open")
	}

	var out, errb bytes.Buffer
	cli := app.CLI{Stdout: &out, Stderr: &errb, Options: app.Options{Extra: []func(module.Deps) module.Module{extra}}}
	if code := app.Run(context.Background(), []string{"fixture", "a", "b"}, cli); code != 0 {
		t.Fatalf("mamori fixture: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "試験用のコマンドを実行しました a,b") {
		t.Errorf("mamori fixture printed %q", out.String())
	}
	out.Reset()
	app.Run(context.Background(), []string{"--help"}, cli)
	if !strings.Contains(out.String(), "fixture                    試験用の業務のコマンドです") {
		t.Errorf("mamori --help lacks the module's command:\n%s", out.String())
	}
}
