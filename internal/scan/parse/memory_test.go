package parse

import (
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"mamori/internal/scan/finding"
)

// genReader produces head, then n items made by item(i), then tail,
// without ever holding the whole document.
type genReader struct {
	head, tail string
	n, i       int
	item       func(i int) string
	buf        []byte
	done       bool
}

func (g *genReader) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		switch {
		case g.head != "":
			g.buf, g.head = []byte(g.head), ""
		case g.i < g.n:
			g.buf = []byte(g.item(g.i))
			g.i++
		case !g.done:
			g.buf, g.done = []byte(g.tail), true
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

// peakHeap runs fn while sampling HeapAlloc and returns the peak in MiB.
func peakHeap(fn func()) float64 {
	runtime.GC()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return float64(peak) / (1 << 20)
}

// TestStreamingMemory parses large generated files that are never held in
// memory and checks that the heap stays small.
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	host := func(i int) string {
		return fmt.Sprintf(`<host><status state="up"/><address addr="10.%d.%d.%d" addrtype="ipv4"/><hostnames><hostname name="pc%d.example.jp"/></hostnames><ports>`+
			`<port protocol="tcp" portid="22"><state state="open"/><service name="ssh" product="OpenSSH" version="8.2p1"/></port>`+
			`<port protocol="tcp" portid="445"><state state="open"/><service name="microsoft-ds"/></port></ports></host>`+"\n", i>>16&255, i>>8&255, i&255, i)
	}
	result := func(i int) string {
		sep := ","
		if i == 0 {
			sep = ""
		}
		return fmt.Sprintf(`%s{"ruleId": "r%d", "level": "error", "message": {"text": "problem %d"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/f%d.go"}, "region": {"startLine": %d}}}]}`+"\n", sep, i%20, i, i%1000, i%500+1)
	}
	for _, c := range []struct {
		f Format
		g *genReader
	}{
		{Nmap, &genReader{head: `<nmaprun scanner="nmap" version="7.94">`, tail: `</nmaprun>`, n: 60_000, item: host}},
		{SARIF, &genReader{head: `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "gosec"}}, "results": [`, tail: `]}]}`, n: 100_000, item: result}},
	} {
		count := 0
		mib := peakHeap(func() {
			_, err := Parse(c.g, c.f, Limits{}, func(finding.Finding) error { count++; return nil })
			if err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%s: %d findings, peak heap %.1f MiB", c.f, count, mib)
		if mib > 48 {
			t.Errorf("%s: peak heap %.1f MiB", c.f, mib)
		}
	}
}
