// Package app wires Mamori together: configuration → database → migrations
// → features → routes. Tests start it on a random port with a temp database.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/auth"
	"mamori/internal/auth/directory"
	"mamori/internal/blob"
	"mamori/internal/config"
	"mamori/internal/database"
	"mamori/internal/jobs"
	"mamori/internal/mail"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/web"
)

// App is a running Mamori: its database, features and HTTP handler.
type App struct {
	Config config.Config
	DB     *database.DB
	Log    *auditlog.Log
	Auth   *auth.Service // login, sessions, second factor (the router's web.Auth)
	Org    *org.Service
	names  *module.Names // the modules' name look-ups for the audit log
	Router *web.Router
	Blobs  *blob.Store
	Jobs   *jobs.Runner
	Mail   *mail.Outbox
	// Scheduler runs the recurring tasks (module.Scheduled, the nightly
	// backup, housekeeping) once across all instances.
	Scheduler *jobs.Scheduler
	Logger    *slog.Logger
	Now       func() time.Time
	// Modules are the features in the order of internal/app/modules.go.
	Modules []module.Module
	handler http.Handler
	// stopping is set once a stop was asked for: /livez answers 503 so
	// that a load balancer stops sending requests (Config.StopDrain).
	stopping atomic.Bool
	navFor   func(*http.Request, *web.User) []web.NavItem // the menu of a page, by role and section
}

// Options adjust New for tests and sub-commands.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	Argon  auth.ArgonParams // zero: production cost
	// Extra modules after the listed ones (a test's fixture module).
	Extra []func(module.Deps) module.Module
	// MailInsecure accepts any certificate of the SMTP server (tests).
	MailInsecure bool
}

// Open opens the database, applies migrations and builds the features,
// without routes (enough for sub-commands).
func Open(ctx context.Context, cfg config.Config, opt Options) (*App, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level(cfg.LogLevel)}))
	}
	db, err := database.Open(ctx, cfg.DSN())
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a := &App{Config: cfg, DB: db, Logger: opt.Logger, Now: opt.Now}
	a.Log = auditlog.New(db, opt.Now, auditlog.KeyFile(auditlog.KeyPath(cfg.AuditKeyFile, cfg.Data)))
	if err := a.Log.CheckKey(ctx); err != nil {
		db.Close()
		return nil, err
	}
	dc, err := cfg.Directory()
	if err != nil {
		db.Close()
		return nil, err
	}
	ac := auth.Config{IdleTimeout: cfg.IdleTimeout, AbsoluteTimeout: cfg.MaxSession, Argon: opt.Argon, SecureCookies: cfg.TLSCert != ""}
	if dc != nil {
		ac.Directory = directory.New(*dc)
	}
	a.Auth = auth.New(db, a.Log, ac, opt.Now, opt.Logger)
	mc, err := cfg.Mail()
	if err != nil {
		db.Close()
		return nil, err
	}
	mc.Insecure = opt.MailInsecure
	a.Mail = mail.New(db, a.Log, mc, opt.Now, opt.Logger)
	a.Scheduler = jobs.NewScheduler(db, opt.Now, opt.Logger)
	a.names = &module.Names{}
	a.Org = org.New(db, a.Log, org.Config{Argon: opt.Argon, Auth: a.Auth}, opt.Now, opt.Logger)
	a.Blobs = blob.New(db, cfg.Data, "", opt.Now)
	a.Jobs = jobs.New(context.Background(), db, opt.Logger, opt.Now)
	a.Org.SetImportDeps(org.ImportDeps{Blobs: a.Blobs, Jobs: a.Jobs})
	if err := a.Jobs.MarkAbandoned(ctx, 10*time.Minute); err != nil {
		db.Close()
		return nil, err
	}
	a.Modules = a.modules(a.Deps())
	for _, m := range opt.Extra {
		a.Modules = append(a.Modules, m(a.Deps()))
	}
	a.addSchedules()
	return a, nil
}

func level(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// New is Open plus the web routes.
func New(ctx context.Context, cfg config.Config, opt Options) (*App, error) {
	a, err := Open(ctx, cfg, opt)
	if err != nil {
		return nil, err
	}
	if err := a.routes(); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Close waits for running jobs and releases the database.
func (a *App) Close() error {
	a.Jobs.Wait()
	return a.DB.Close()
}

// Handler is the whole web application.
func (a *App) Handler() http.Handler { return a.handler }

// Listen serves on ln until ctx ends. ready, when not nil, is called once
// the server accepts connections.
func (a *App) Listen(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute,
		WriteTimeout: 10 * time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn)}
	if a.Config.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(a.Config.TLSCert, a.Config.TLSKey)
		if err != nil {
			return fmt.Errorf("TLS 証明書を読み込めません: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	// The scheduler and the mail sender stop with ctx; a task they were
	// running gives its lease back (see jobs.Scheduler.Tick), and Listen
	// returns only once both have stopped, so that the database is not
	// closed under them.
	lctx, stopLoops := context.WithCancel(ctx)
	var loops sync.WaitGroup
	loops.Go(func() { a.Scheduler.Loop(lctx, 30*time.Second) })
	loops.Go(func() { a.Mail.Run(lctx, 5*time.Second) })
	defer func() { stopLoops(); loops.Wait() }()
	a.DB.Warm(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		// Graceful stop (SIGTERM, Ctrl+C): no new connection is
		// accepted, requests in flight finish (up to ShutdownGrace),
		// idle keep-alive connections are closed.
		if d := a.Config.StopDrain; d > 0 {
			// Out of the balancer's rotation first: requests keep being
			// served until it has noticed, so none is sent to a
			// connection this server is about to close.
			a.stopping.Store(true)
			a.Logger.Info("stopping: /livez answers 503 while the load balancer drains", "drain", d.String())
			select {
			case <-time.After(d):
			case err := <-errc:
				return err
			}
		}
		a.Logger.Info("stopping: finishing the requests in flight")
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownGrace)
		defer cancel()
		err := srv.Shutdown(sctx)
		a.Jobs.Stop(JobGrace)
		return err
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// ShutdownGrace is how long a stopping server lets requests in flight
// finish before it closes their connections; JobGrace, how long it then
// lets background jobs (a bound set, an import) finish before it cancels
// them (they are recorded as interrupted, to be started again).
const (
	ShutdownGrace = 30 * time.Second
	JobGrace      = 60 * time.Second
)

// Names are the modules' name look-ups for the audit log.
func (a *App) Names() *module.Names { return a.names }

// Deps are the shared services the modules are built from.
func (a *App) Deps() module.Deps {
	return module.Deps{Config: a.Config, DB: a.DB, Log: a.Log, Blobs: a.Blobs, Jobs: a.Jobs, Mail: a.Mail, Now: a.Now, Logger: a.Logger,
		Org: a.Org, Names: a.names, Hints: a.hints, CitizenServices: a.citizenServices,
		Engagements: a.engagementKeeper, EngagementSections: a.engagementSections, EngagementTabs: a.engagementTabs, YearProgress: a.yearProgress, YearDeliverables: a.yearDeliverableList,
		Shredders: a.shredders}
}

// shredders are the modules keeping encrypted files, in module order.
func (a *App) shredders() []module.NamedShredder {
	var out []module.NamedShredder
	for _, m := range a.Modules {
		if s, ok := m.(module.Shredder); ok {
			out = append(out, module.NamedShredder{Key: m.Info().Key, Label: m.Info().Label, Shredder: s})
		}
	}
	return out
}

// citizenServices is the registry of citizen services of the module that
// keeps one (module.ServiceRegistry), or nothing.
func (a *App) citizenServices(ctx context.Context) ([]module.CitizenService, error) {
	for _, m := range a.Modules {
		if r, ok := m.(module.ServiceRegistry); ok {
			return r.CitizenServices(ctx)
		}
	}
	return nil, nil
}

// engagementKeeper is the module that keeps the audit engagements, or nil.
func (a *App) engagementKeeper() module.EngagementKeeper {
	for _, m := range a.Modules {
		if k, ok := m.(module.EngagementKeeper); ok {
			return k
		}
	}
	return nil
}

// engagementSections gathers the sections every module adds to an
// engagement's audit report.
func (a *App) engagementSections(ctx context.Context, id int64) ([]module.ReportSection, error) {
	var out []module.ReportSection
	for _, m := range a.Modules {
		if r, ok := m.(module.EngagementReporter); ok {
			s, err := r.EngagementSections(ctx, id)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
		}
	}
	return out, nil
}

// engagementTabs gathers the pages modules keep on an engagement.
func (a *App) engagementTabs(ctx context.Context, e module.AuditEngagement) []module.EngagementTab {
	var out []module.EngagementTab
	for _, m := range a.Modules {
		if t, ok := m.(module.EngagementTabber); ok {
			out = append(out, t.EngagementTabs(ctx, e)...)
		}
	}
	return out
}

// yearProgress gathers every module's tasks of fiscal year fy.
func (a *App) yearProgress(ctx context.Context, fy int) ([]module.YearTask, error) {
	var out []module.YearTask
	for _, m := range a.Modules {
		y, ok := m.(module.Year)
		if !ok {
			continue
		}
		ps, err := y.Progress(ctx, fy)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Info().Label, err)
		}
		for _, p := range ps {
			ws := p.Workstream
			if ws == 0 {
				ws = m.Info().Workstream
			}
			out = append(out, module.YearTask{Module: m.Info().Label, Path: m.Info().Path, Workstream: ws, Progress: p})
		}
	}
	return out, nil
}

// yearDeliverableList lists every module's deliverables of fiscal year fy
// (not built: the register builds one when it is downloaded).
func (a *App) yearDeliverableList(ctx context.Context, fy int) ([]module.YearDeliverable, error) {
	var out []module.YearDeliverable
	for _, m := range a.Modules {
		y, ok := m.(module.Year)
		if !ok {
			continue
		}
		ds, err := y.Deliverables(ctx, fy)
		if err != nil {
			return nil, fmt.Errorf("%sの成果物: %w", m.Info().Label, err)
		}
		for _, d := range ds {
			out = append(out, module.YearDeliverable{Module: m.Info().Label, ModuleKey: m.Info().Key, Deliverable: d})
		}
	}
	return out, nil
}

// hints gathers fiscal year fy's training hints from every module that
// has them (module.Hinter), strongest first.
func (a *App) hints(ctx context.Context, fy int) ([]module.Hint, error) {
	var out []module.Hint
	for _, m := range a.Modules {
		if h, ok := m.(module.Hinter); ok {
			hs, err := h.Hints(ctx, fy)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m.Info().Label, err)
			}
			out = append(out, hs...)
		}
	}
	slices.SortStableFunc(out, func(x, y module.Hint) int { return y.Weight - x.Weight })
	return out, nil
}

// CreateDemo fills an empty database with the demo ward: each module adds
// its part, in the order of the module list.
func (a *App) CreateDemo(ctx context.Context, password string, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	d := module.Demo{Password: password, Progress: progress}
	for _, m := range a.Modules {
		if dm, ok := m.(module.DemoMaker); ok {
			if err := dm.CreateDemo(ctx, d); err != nil {
				return fmt.Errorf("%s のデモデータ: %w", m.Info().Label, err)
			}
		}
	}
	return nil
}
