package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Postgres is a private PostgreSQL server started for one test from the
// Debian packages' binaries, on a free local port with trust
// authentication, so that the test may restart or stop it without
// disturbing the shared server other tests use.
type Postgres struct {
	DSN  string // postgres://postgres@127.0.0.1:port/postgres?sslmode=disable
	dir  string
	bin  string
	user string // the account the server runs as ("" = this one)
}

// StartPostgres initialises and starts the server (failing in CI,
// skipping elsewhere, when PostgreSQL is not installed) and removes it
// when the test ends. As root it runs as the postgres account, since
// PostgreSQL refuses to run as root.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		Missing(t, "PostgreSQL (pg_ctl)", "apt-get install postgresql")
		return nil
	}
	slices.Sort(bins)
	p := &Postgres{bin: filepath.Dir(bins[len(bins)-1])}
	dir, err := os.MkdirTemp("", "mamori-pg")
	if err != nil {
		t.Fatal(err)
	}
	p.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal("PostgreSQL を root 以外で動かす postgres アカウントがありません:", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		p.user = "postgres"
	}
	port := strings.TrimPrefix(freePort(t), "127.0.0.1:")
	data := filepath.Join(dir, "data")
	p.run(t, "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale")
	opts := fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, dir)
	p.run(t, "pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start")
	t.Cleanup(func() { _ = p.command("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop").Run() })
	p.DSN = "postgres://postgres@127.0.0.1:" + port + "/postgres?sslmode=disable"
	return p
}

// RestartCommand is the shell command that restarts the server (fast
// shutdown: sessions are ended, as in a real restart), for a program the
// test starts.
func (p *Postgres) RestartCommand() string {
	return strings.Join(p.command("pg_ctl", "-D", filepath.Join(p.dir, "data"), "-l", filepath.Join(p.dir, "log"), "-m", "fast", "-w", "-t", "60", "restart").Args, " ")
}

func (p *Postgres) command(name string, args ...string) *exec.Cmd {
	prog := filepath.Join(p.bin, name)
	if p.user != "" {
		return exec.Command("runuser", append([]string{"-u", p.user, "--", prog}, args...)...)
	}
	return exec.Command(prog, args...)
}

func (p *Postgres) run(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := p.command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}
