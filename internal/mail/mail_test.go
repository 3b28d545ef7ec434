package mail_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	outbox "mamori/internal/mail"
	"mamori/internal/testkit"
)

// read parses a received message and decodes its subject and body (UTF-8
// base64, or ISO-2022-JP).
func read(t *testing.T, data []byte) (subject, to, body string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("not a mail message: %v\n%s", err, data)
	}
	dec := mime.WordDecoder{CharsetReader: func(cs string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(cs, "ISO-2022-JP") {
			return japanese.ISO2022JP.NewDecoder().Reader(r), nil
		}
		return nil, fmt.Errorf("charset %s", cs)
	}}
	if subject, err = dec.DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	if to, err = dec.DecodeHeader(m.Header.Get("To")); err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(m.Body)
	switch ct := m.Header.Get("Content-Type"); {
	case strings.Contains(ct, "ISO-2022-JP"):
		for _, b := range raw {
			if b >= 0x80 {
				t.Fatal("an ISO-2022-JP body with 8-bit bytes")
			}
		}
		b, err := japanese.ISO2022JP.NewDecoder().Bytes(raw)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	case m.Header.Get("Content-Transfer-Encoding") == "base64":
		b, err := io.ReadAll(base64Reader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	default:
		t.Fatalf("Content-Type %q", ct)
	}
	if m.Header.Get("Message-ID") == "" {
		t.Error("no Message-ID")
	}
	return subject, to, strings.ReplaceAll(body, "\r\n", "\n")
}

// TestOutbox sends through a real SMTP server: Japanese subject, name and
// body in UTF-8 and in ISO-2022-JP, over STARTTLS with AUTH; a message
// queued twice under one key is sent once; a refused recipient fails for
// good and is listed; a server that is down leaves the message queued for
// a retry later; two instances flushing together send each message once.
func TestOutbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		srv := testkit.StartSMTP(t)
		now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		log := auditlog.New(db, clock, auditlog.KeyFile(t.TempDir()+"/k"))
		for _, cs := range []string{"utf-8", "iso-2022-jp"} {
			cfg := outbox.Config{Host: srv.Host, Port: srv.Port, Security: "starttls", Insecure: true, User: srv.User, Password: srv.Password,
				From: "mamori@city.hinode.example", FromName: "ひので区 情報セキュリティ担当", Charset: cs, BaseURL: "https://mamori.hinode.example"}
			o := outbox.New(db, log, cfg, clock, nil)
			before := len(srv.Messages())
			for i := 0; i < 2; i++ {
				if _, err := o.Enqueue(ctx, outbox.Message{To: "tanaka@city.hinode.example", ToName: "田中 花子", Kind: "reminder", Key: "k-" + cs,
					Subject: "【研修】個人情報保護研修の受講をお願いします", Body: "田中 花子 様\n\n受講をお願いします。\n" + o.Link("/learning/my/7") + "\n"}); err != nil {
					t.Fatal(err)
				}
			}
			sent, failed, err := o.Flush(ctx, 10)
			if err != nil || sent != 1 || failed != 0 {
				t.Fatalf("%s: sent %d, failed %d, %v", cs, sent, failed, err)
			}
			msgs := srv.Messages()[before:]
			if len(msgs) != 1 {
				t.Fatalf("%s: %d messages arrived", cs, len(msgs))
			}
			subject, to, body := read(t, msgs[0].Data)
			if subject != "【研修】個人情報保護研修の受講をお願いします" || !strings.Contains(to, "田中 花子") || !strings.Contains(body, "受講をお願いします。") ||
				!strings.Contains(body, "https://mamori.hinode.example/learning/my/7") {
				t.Errorf("%s: subject %q, to %q, body %q", cs, subject, to, body)
			}
		}

		o := outbox.New(db, log, outbox.Config{Host: srv.Host, Port: srv.Port, Security: "none", From: "mamori@city.hinode.example", Charset: "utf-8"}, clock, nil)
		if ok, _ := o.Enqueue(ctx, outbox.Message{To: "not an address", Subject: "x", Body: "x"}); ok {
			t.Error("a bad address was queued")
		}
		// Refused for good.
		if _, err := o.Enqueue(ctx, outbox.Message{To: "reject@city.hinode.example", Subject: "お知らせ", Body: "本文", Kind: "notice"}); err != nil {
			t.Fatal(err)
		}
		if _, failed, err := o.Flush(ctx, 10); err != nil || failed != 1 {
			t.Fatalf("a refused recipient: failed %d, %v", failed, err)
		}
		rows, err := o.List(ctx, "failed", 10)
		if err != nil || len(rows) != 1 || !strings.Contains(rows[0].LastError, "550") {
			t.Fatalf("the failed list: %+v %v", rows, err)
		}
		if err := o.Retry(ctx, rows[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := o.Retry(ctx, rows[0].ID); !errors.Is(err, database.ErrNotFound) {
			t.Errorf("a queued message retried: %v", err)
		}

		// Two instances at once: each message once.
		for i := 0; i < 20; i++ {
			if _, err := o.Enqueue(ctx, outbox.Message{To: fmt.Sprintf("staff%02d@city.hinode.example", i), Subject: "催促", Body: "本文"}); err != nil {
				t.Fatal(err)
			}
		}
		before := len(srv.Messages())
		o2 := outbox.New(db, log, outbox.Config{Host: srv.Host, Port: srv.Port, Security: "none", From: "mamori@city.hinode.example", Charset: "utf-8"}, clock, nil)
		var wg sync.WaitGroup
		for _, x := range []*outbox.Outbox{o, o2} {
			wg.Add(1)
			go func() { defer wg.Done(); _, _, _ = x.Flush(ctx, 50) }()
		}
		wg.Wait()
		got := map[string]int{}
		for _, m := range srv.Messages()[before:] {
			got[m.To[0]]++
		}
		for i := 0; i < 20; i++ {
			if n := got[fmt.Sprintf("staff%02d@city.hinode.example", i)]; n != 1 {
				t.Errorf("staff%02d got %d messages", i, n)
			}
		}

		// The server down: queued again with a later attempt.
		srv.Stop()
		if _, err := o.Enqueue(ctx, outbox.Message{To: "sato@city.hinode.example", Subject: "お知らせ", Body: "本文"}); err != nil {
			t.Fatal(err)
		}
		if sent, failed, err := o.Flush(ctx, 10); err != nil || sent != 0 || failed != 0 {
			t.Fatalf("server down: sent %d failed %d %v", sent, failed, err)
		}
		q, err := o.List(ctx, "queued", 10)
		if err != nil || len(q) == 0 || q[0].Attempts != 1 || !q[0].NextAt.After(now) || q[0].LastError == "" {
			t.Fatalf("after the server was down: %+v %v", q, err)
		}
	})
}

func base64Reader(s string) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, strings.NewReader(strings.NewReplacer("\r", "", "\n", "").Replace(s)))
}
