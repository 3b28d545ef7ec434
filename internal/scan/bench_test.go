package scan_test

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"testing"

	"mamori/internal/module"
	"mamori/internal/scan"
	"mamori/internal/scan/parse"
	"mamori/internal/scan/parse/benchdata"
	"mamori/internal/webtest"
)

// BenchmarkImportNmap16 imports a 50 MB Nmap XML of a /16 (32,768 hosts
// up, about 115,000 findings) into a system audit of the demo ward on
// SQLite (and PostgreSQL when MAMORI_TEST_PG is set): the parse streams,
// the findings are written in one transaction. The target is under 10 s
// per import with memory bounded by the findings, not the file; the
// figures are reported per op (MB/s, findings, heap after the import).
func BenchmarkImportNmap16(b *testing.B) {
	data := benchdata.Nmap16()
	for _, be := range webtest.Backends(b) {
		// One deployment per backend (b.Run calls its function again for
		// each b.N); the first import adds, the next ones find it all still.
		s := webtest.Start(b, webtest.Options{Demo: true, DSN: be.DSN})
		var k module.EngagementKeeper
		if k = s.Deps().Engagements(); k == nil {
			b.Fatal("no engagement keeper")
		}
		st := scan.NewStore(s.Deps())
		ctx := context.Background()
		e, err := k.AuditEngagement(ctx, s.ID("SELECT id FROM audit_engagements WHERE code LIKE '%-SA-02'"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(be.Name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			var out scan.Outcome
			for range b.N {
				out, err = st.ApplyImport(ctx, e, scan.ImportInput{Format: parse.Nmap, Filename: "range16.xml", Size: int64(len(data)),
					Open: func() (io.Reader, error) { return bytes.NewReader(data), nil }}, "bench")
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(out.Read), "findings/op")
			b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heapMiB")
		})
	}
}
