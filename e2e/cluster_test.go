package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"mamori/internal/testkit"
)

// TestClusterUnderFaults runs `mamori bench cluster` — two `mamori serve`
// on one PostgreSQL behind a real haproxy, under a mix of logins, page
// views and questionnaire submissions — through its faults: one instance
// killed with SIGKILL and restarted, PostgreSQL restarted (a private
// server of this test, so that the shared one other tests use is left
// alone), one instance stopped with SIGTERM, and a backup taken under
// load, restored and its audit chain verified. Nothing acknowledged may
// be lost or counted twice, and the task made due must run once.
func TestClusterUnderFaults(t *testing.T) {
	testkit.Tool(t, "haproxy")
	pg := testkit.StartPostgres(t)
	users := 12
	out := filepath.Join(t.TempDir(), "cluster.json")
	cmd := exec.Command(binary, "bench", "cluster", "--db", pg.DSN, "--instances", "1,2", "--seconds", "2", "--clients", "12", "--staff", "1000",
		"--kill", "--term", "--backup", "--pg-restart", pg.RestartCommand(), "--json", out)
	cmd.Env = append(os.Environ(), "MAMORI_DB=")
	stdout, err := cmd.CombinedOutput()
	t.Logf("mamori bench cluster:\n%s", stdout)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Throughput []struct {
			Instances int          `json:"instances"`
			Stats     clusterStats `json:"stats"`
		} `json:"throughput"`
		Kill      *clusterFault `json:"kill"`
		PGRestart *clusterFault `json:"pg_restart"`
		Term      *clusterFault `json:"term"`
		Backup    *struct {
			Verified     bool   `json:"verified"`
			AuditEntries int    `json:"audit_entries"`
			Err          string `json:"error"`
		} `json:"backup"`
		Acked, Lost, Duplicated int
		ScheduleRuns            int    `json:"schedule_runs"`
		FileAcross              string `json:"file_across"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Throughput) != 2 {
		t.Fatalf("throughput runs: %d", len(rep.Throughput))
	}
	for _, tp := range rep.Throughput {
		if s := tp.Stats; s.Views == 0 || s.Submissions == 0 || s.OtherErrors+s.Japanese503 != 0 {
			t.Errorf("%d instances, no fault: %+v", tp.Instances, s)
		}
	}
	// Only the requests in flight when the instance died may fail: at
	// most one per user, and none once it is back.
	if k := rep.Kill; k == nil || k.Stats.OtherErrors > users || k.Stats.LateErrors != 0 || k.Stats.AfterFault == 0 {
		t.Errorf("SIGKILL: %+v", k)
	}
	// While PostgreSQL restarts, a request fails with the Japanese 503
	// page (or is cut in flight); afterwards the instances have
	// reconnected on their own.
	if p := rep.PGRestart; p == nil || p.Stats.OtherErrors > users || p.Stats.LateErrors != 0 || p.Stats.AfterFault == 0 {
		t.Errorf("PostgreSQL restart: %+v", p)
	}
	// SIGTERM: requests in flight finish; the process exits cleanly.
	if tm := rep.Term; tm == nil || tm.ExitCode != 0 || tm.Stats.OtherErrors+tm.Stats.Japanese503 != 0 {
		t.Errorf("SIGTERM: %+v", tm)
	}
	if bk := rep.Backup; bk == nil || !bk.Verified || bk.AuditEntries == 0 {
		t.Errorf("backup under load: %+v", bk)
	}
	if rep.Acked == 0 || rep.Lost != 0 || rep.Duplicated != 0 {
		t.Errorf("submissions: %d acknowledged, %d lost, %d counted twice", rep.Acked, rep.Lost, rep.Duplicated)
	}
	// A file uploaded to one instance is listed and read back whole from
	// the other.
	if rep.FileAcross != "" {
		t.Errorf("a file across instances: %s", rep.FileAcross)
	}
	if rep.ScheduleRuns != 1 {
		t.Errorf("the task made due ran %d times across the instances, want 1", rep.ScheduleRuns)
	}
	if !strings.Contains(string(stdout), "件/秒") {
		t.Error("the bench printed no figures")
	}
}

type clusterFault struct {
	Stats    clusterStats `json:"stats"`
	ExitCode int          `json:"exit_code"`
}

// clusterStats is the bench's JSON of one measured run.
type clusterStats struct {
	Ops         int      `json:"ops"`
	Views       int      `json:"views"`
	Submissions int      `json:"submissions"`
	Logins      int      `json:"logins"`
	Japanese503 int      `json:"japanese_503"`
	OtherErrors int      `json:"other_errors"`
	Samples     []string `json:"samples"`
	AfterFault  int      `json:"after_fault"`
	LateErrors  int      `json:"late_errors"`
}
