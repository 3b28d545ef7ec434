package parse

import (
	"bytes"
	"strings"
	"testing"

	"mamori/internal/scan/finding"
	"mamori/internal/scan/parse/benchdata"
)

// benchParse parses data b.N times, reporting MB/s, findings/op, the time
// per op and the peak heap seen by a sampler.
func benchParse(b *testing.B, data []byte, f Format) {
	b.SetBytes(int64(len(data)))
	n := 0
	b.ResetTimer()
	peak := peakHeap(func() {
		for range b.N {
			n = 0
			sum, err := Parse(bytes.NewReader(data), f, Limits{}, func(finding.Finding) error { n++; return nil })
			if err != nil {
				b.Fatal(err)
			}
			if sum.Findings != n {
				b.Fatal("count mismatch")
			}
		}
		b.StopTimer()
	})
	b.ReportMetric(float64(n), "findings/op")
	b.ReportMetric(float64(len(data))/1e6/(b.Elapsed().Seconds()/float64(b.N)), "MB/s")
	// The input itself stays on the heap; report what Parse adds.
	b.ReportMetric(peak, "peakHeapMiB")
	b.ReportMetric(float64(len(data))/(1<<20), "inputMiB")
}

func BenchmarkParseNmap50MB(b *testing.B) {
	data := benchdata.Nmap16()
	if !strings.HasSuffix(string(data[len(data)-12:]), "</nmaprun>\n") {
		b.Fatal("bad data")
	}
	benchParse(b, data, Nmap)
}

func BenchmarkParseSARIF100k(b *testing.B) {
	benchParse(b, benchdata.SARIF100k(), SARIF)
}
