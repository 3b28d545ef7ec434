package probe

import (
	"net/url"

	"mamori/internal/scan/finding"
)

// Findings are the findings of a recorded TLS report, as the check that
// made it returned them (the demo replays recorded reports).
func (r *TLSReport) Findings() []finding.Finding { return tlsFindings(r) }

// Findings are the findings of a recorded HTTP report.
func (r *HTTPReport) Findings() []finding.Finding {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil
	}
	return httpFindings(r, u)
}

// Findings are the findings of a recorded TCP report.
func (r *TCPReport) Findings() []finding.Finding { return tcpFindings(r) }
