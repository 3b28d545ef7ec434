package jobs

import (
	"context"
	"embed"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// Routes registers the progress page of a job.
func (r *Runner) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("jobs", templateFS, "templates"); err != nil {
		return err
	}
	// A job is seen by the user who started it, and by the security office.
	job := web.SignedIn().On(web.Object{Kind: "jobs.job", Allow: func(ctx context.Context, u *web.User, _ web.Scope, id int64) (bool, error) {
		j, err := r.Get(ctx, id)
		if err != nil {
			return false, err
		}
		return j.CreatedBy == u.ID || u.Role == web.RoleAdmin, nil
	}})
	rt.Handle("GET /jobs/{id}", job, r.show)
	return nil
}

func (r *Runner) show(w http.ResponseWriter, req *http.Request) error {
	id, err := strconv.ParseInt(req.PathValue("id"), 10, 64)
	if err != nil {
		return web.NotFound()
	}
	j, err := r.Get(req.Context(), id)
	if err != nil {
		return err
	}
	if strings.Contains(req.Header.Get("Accept"), "application/json") {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		return json.NewEncoder(w).Encode(j)
	}
	return web.Render(w, req, http.StatusOK, "jobs/show", "処理の状況", j)
}
