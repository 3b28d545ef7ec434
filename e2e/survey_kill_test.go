package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"mamori/internal/database"
)

// startServer starts `mamori serve` (with the demo ward when demo is
// set) on data dir and a free port, and returns its URL and process (for
// kill -9). The process ends with the test.
func startServer(t *testing.T, dir string, demo bool, extra ...string) (string, *exec.Cmd) {
	t.Helper()
	args := []string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}
	if demo {
		args = append(args, "--demo")
	}
	args = append(args, extra...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cmd.Environ(), "MAMORI_DB=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u := urlRe.FindString(sc.Text()); u != "" {
				select {
				case found <- u:
				default:
				}
			}
		}
	}()
	select {
	case u := <-found:
		return u, cmd
	case <-time.After(90 * time.Second):
		t.Fatal("mamori serve did not start")
	}
	return "", nil
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// TestSurveyKill9: staff answer the open self-assessment through their
// personal links while the server is killed with SIGKILL; after a restart,
// every submission the server acknowledged is in the database, and none is
// counted twice.
func TestSurveyKill9(t *testing.T) {
	dir := t.TempDir()
	base, cmd := startServer(t, dir, true)
	ctx := context.Background()
	db, err := database.Open(ctx, filepath.Join(dir, "mamori.db"))
	if err != nil {
		t.Fatal(err)
	}
	// Personal links for the open campaign's unanswered staff, written as
	// the link page stores them (SHA-256 of the token).
	var campaign int64
	if err := db.QueryRow(ctx, "SELECT id FROM survey_campaigns WHERE state = 'open' ORDER BY id LIMIT 1").Scan(&campaign); err != nil {
		t.Fatalf("no open campaign in the demo: %v", err)
	}
	rows, err := db.Query(ctx, "SELECT id FROM survey_invitations WHERE campaign_id = ? AND submitted = FALSE ORDER BY id", campaign)
	if err != nil {
		t.Fatal(err)
	}
	var invs []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		invs = append(invs, id)
	}
	rows.Close()
	if len(invs) < 300 {
		t.Fatalf("only %d unanswered invitations", len(invs))
	}
	tokens := map[int64]string{}
	expires := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	if err := db.WithTx(ctx, func(ctx context.Context) error {
		for _, id := range invs {
			tok := fmt.Sprintf("kill9-test-token-%08d", id)
			h := sha256.Sum256([]byte(tok))
			if _, err := db.Exec(ctx, "UPDATE survey_invitations SET token_hash = ?, token_expires = ? WHERE id = ?", hex.EncodeToString(h[:]), expires, id); err != nil {
				return err
			}
			tokens[id] = tok
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var before int
	db.QueryRow(ctx, "SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ?", campaign).Scan(&before)
	db.Close()

	// 30 respondents at once, each GET then POST through their link.
	var mu sync.Mutex
	acked := map[int64]bool{}
	next := make(chan int64, len(invs))
	for _, id := range invs {
		next <- id
	}
	close(next)
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			for id := range next {
				if answer(base, tokens[id]) {
					mu.Lock()
					acked[id] = true
					mu.Unlock()
				}
			}
		})
	}
	// Kill the server in the middle of the load.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 100 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	wg.Wait()
	mu.Lock()
	n := len(acked)
	mu.Unlock()
	if n < 100 || n == len(invs) {
		t.Fatalf("%d of %d acknowledged: the kill did not land in the middle of the load", n, len(invs))
	}

	// Restart on the same data and check.
	base2, _ := startServer(t, dir, false)
	db, err = database.Open(ctx, filepath.Join(dir, "mamori.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	missing := 0
	for id := range acked {
		var done bool
		if err := db.QueryRow(ctx, "SELECT submitted FROM survey_invitations WHERE id = ?", id).Scan(&done); err != nil || !done {
			missing++
		}
	}
	var after, answered int
	db.QueryRow(ctx, "SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ?", campaign).Scan(&after)
	db.QueryRow(ctx, "SELECT COUNT(*) FROM survey_invitations WHERE campaign_id = ? AND submitted = TRUE", campaign).Scan(&answered)
	if missing > 0 {
		t.Errorf("%d of %d acknowledged submissions are not in the database after kill -9", missing, n)
	}
	if after != answered {
		t.Errorf("%d responses but %d invitations answered: counted twice or lost", after, answered)
	}
	if after-before < n {
		t.Errorf("%d new responses for %d acknowledged", after-before, n)
	}
	// An acknowledged respondent's link shows the acknowledgement again.
	for id := range acked {
		resp, err := http.Get(base2 + "/selfcheck/r/" + tokens[id])
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), "回答を提出しました") {
			t.Errorf("after restart, link of invitation %d does not show the acknowledgement", id)
		}
		break
	}
	t.Logf("killed after %d acknowledged submissions (of %d links); %d responses after restart, none lost", n, len(invs), after-before)
}

// answer opens a personal link and submits an answer to every question;
// it reports whether the server acknowledged the submission.
func answer(base, token string) bool {
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	link := base + "/selfcheck/r/" + token
	resp, err := cl.Get(link)
	if err != nil {
		return false
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRe.FindSubmatch(b)
	if resp.StatusCode != 200 || m == nil {
		return false
	}
	vals := url.Values{"csrf_token": {string(m[1])}, "action": {"submit"}}
	// The first option of every choice question (radio and check box).
	for _, f := range regexp.MustCompile(`name="(q_[^"]+)" value="1"`).FindAllSubmatch(b, -1) {
		vals.Set(string(f[1]), "1")
	}
	req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err = cl.Do(req)
	if err != nil {
		return false
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode == 200 && strings.Contains(string(b), "回答を提出しました")
}
