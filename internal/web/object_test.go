package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"mamori/internal/web"
)

type userAuth struct{}

func (userAuth) Session(_ context.Context, tok string) (*web.User, string, error) {
	if tok != "t" {
		return nil, "", nil
	}
	return &web.User{ID: 7, Login: "u", Role: web.RoleStaff}, "csrf", nil
}
func (userAuth) Denied(context.Context, *web.User, string, string) {}

// TestKeptByObjectCheck: what an object check keeps reaches the handler of
// the same request only; a request without object checks keeps nothing.
func TestKeptByObjectCheck(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rd, err := web.NewRenderer(log)
	if err != nil {
		t.Fatal(err)
	}
	type key struct{}
	rt := web.NewRouter(userAuth{}, rd, log)
	checked := web.SignedIn().On(web.Object{Kind: "test.thing", Allow: func(ctx context.Context, _ *web.User, _ web.Scope, id int64) (bool, error) {
		web.Keep(ctx, key{}, fmt.Sprintf("thing %d", id))
		return true, nil
	}})
	show := func(w http.ResponseWriter, r *http.Request) error {
		v, ok := web.Kept(r.Context(), key{})
		_, err := fmt.Fprintf(w, "%v %v", v, ok)
		return err
	}
	rt.Handle("GET /things/{id}", checked, show)
	rt.Handle("GET /plain", web.SignedIn(), func(w http.ResponseWriter, r *http.Request) error {
		web.Keep(r.Context(), key{}, "x") // no effect outside a checked request
		return show(w, r)
	})
	srv := httptest.NewServer(rt)
	defer srv.Close()
	get := func(path string) string {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: "t"})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	for i, want := range []string{"thing 3 true", "thing 4 true"} {
		if got := get(fmt.Sprintf("/things/%d", i+3)); got != want {
			t.Errorf("GET /things/%d = %q, want %q", i+3, got, want)
		}
	}
	if got := get("/plain"); !strings.HasPrefix(got, "<nil> false") {
		t.Errorf("GET /plain = %q", got)
	}
}
