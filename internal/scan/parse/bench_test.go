package parse

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"mamori/internal/scan/finding"
)

var (
	benchNmapOnce, benchSARIFOnce sync.Once
	benchNmapData, benchSARIFData []byte
)

// nmapBenchData is an Nmap XML scan of a /16 (65,536 hosts): every other
// host up, each up host with two to four open ports, some with vulners
// output; about 50 MB.
func nmapBenchData() []byte {
	benchNmapOnce.Do(func() {
		var b bytes.Buffer
		b.Grow(56 << 20)
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<!DOCTYPE nmaprun>\n")
		b.WriteString(`<nmaprun scanner="nmap" args="nmap -sV --script vulners -oX scan.xml 10.20.0.0/16" start="1728954000" version="7.94" xmloutputversion="1.05">` + "\n")
		b.WriteString(`<scaninfo type="syn" protocol="tcp" numservices="1000" services="1-1000"/>` + "\n")
		for i := range 65536 {
			addr := fmt.Sprintf("10.20.%d.%d", i/256, i%256)
			if i%2 == 1 {
				fmt.Fprintf(&b, `<host starttime="1728954001" endtime="1728954002"><status state="down" reason="no-response" reason_ttl="0"/>`+"\n"+`<address addr="%s" addrtype="ipv4"/>`+"\n<hostnames>\n</hostnames>\n<times srtt=\"0\" rttvar=\"0\" to=\"1000000\"/>\n</host>\n", addr)
				continue
			}
			fmt.Fprintf(&b, `<host starttime="1728954001" endtime="1728954100"><status state="up" reason="echo-reply" reason_ttl="63"/>`+"\n"+`<address addr="%s" addrtype="ipv4"/>`+"\n"+`<hostnames>`+"\n"+`<hostname name="pc%05d.example.jp" type="PTR"/>`+"\n</hostnames>\n", addr, i)
			b.WriteString(`<ports><extraports state="closed" count="996"><extrareasons reason="reset" count="996" proto="tcp" ports="1-21,23-79,81-442,444-1000"/></extraports>` + "\n")
			b.WriteString(`<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="63"/><service name="ssh" product="OpenSSH" version="8.2p1 Ubuntu 4ubuntu0.5" extrainfo="Ubuntu Linux; protocol 2.0" ostype="Linux" method="probed" conf="10"><cpe>cpe:/a:openbsd:openssh:8.2p1</cpe><cpe>cpe:/o:linux:linux_kernel</cpe></service></port>` + "\n")
			b.WriteString(`<port protocol="tcp" portid="443"><state state="open" reason="syn-ack" reason_ttl="63"/><service name="http" product="nginx" version="1.18.0" tunnel="ssl" method="probed" conf="10"><cpe>cpe:/a:igor_sysoev:nginx:1.18.0</cpe></service>`)
			if i%8 == 0 {
				b.WriteString(`<script id="vulners" output="&#xa;  cpe:/a:igor_sysoev:nginx:1.18.0: &#xa;    &#x9;CVE-2021-23017&#x9;7.5&#x9;https://vulners.com/cve/CVE-2021-23017"><table key="cpe:/a:igor_sysoev:nginx:1.18.0">` + "\n")
				b.WriteString("<table>\n<elem key=\"id\">CVE-2021-23017</elem>\n<elem key=\"cvss\">7.5</elem>\n<elem key=\"type\">cve</elem>\n<elem key=\"is_exploit\">false</elem>\n</table>\n")
				b.WriteString("<table>\n<elem key=\"id\">CVE-2021-3618</elem>\n<elem key=\"cvss\">5.8</elem>\n<elem key=\"type\">cve</elem>\n<elem key=\"is_exploit\">false</elem>\n</table>\n</table>\n</script>")
			}
			b.WriteString("</port>\n")
			if i%4 == 0 {
				b.WriteString(`<port protocol="tcp" portid="445"><state state="open" reason="syn-ack" reason_ttl="127"/><service name="microsoft-ds" product="Microsoft Windows Server 2008 R2 - 2012 microsoft-ds" ostype="Windows" method="probed" conf="10"><cpe>cpe:/o:microsoft:windows</cpe></service></port>` + "\n")
				b.WriteString(`<port protocol="tcp" portid="3389"><state state="open" reason="syn-ack" reason_ttl="127"/><service name="ms-wbt-server" product="Microsoft Terminal Services" ostype="Windows" method="probed" conf="10"><cpe>cpe:/o:microsoft:windows</cpe></service></port>` + "\n")
			}
			b.WriteString("</ports>\n<os><osmatch name=\"Linux 5.0 - 5.4\" accuracy=\"95\" line=\"63000\"/></os>\n<times srtt=\"1520\" rttvar=\"310\" to=\"100000\"/>\n</host>\n")
		}
		b.WriteString(`<runstats><finished time="1728960000" timestr="x" elapsed="6000" exit="success"/><hosts up="32768" down="32768" total="65536"/></runstats>` + "\n</nmaprun>\n")
		benchNmapData = b.Bytes()
	})
	return benchNmapData
}

// sarifBenchData is a SARIF file with one run, 50 rules and 100,000
// results.
func sarifBenchData() []byte {
	benchSARIFOnce.Do(func() {
		var b bytes.Buffer
		b.WriteString(`{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [{"tool": {"driver": {"name": "CodeQL", "semanticVersion": "2.15.3", "rules": [`)
		for r := range 50 {
			if r > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"id": "js/rule-%d", "name": "js/rule-%d", "shortDescription": {"text": "Rule number %d"}, "fullDescription": {"text": "A longer description of rule %d, explaining what is wrong."}, "defaultConfiguration": {"level": "warning"}, "help": {"text": "Fix it like this."}, "properties": {"tags": ["security", "external/cwe/cwe-0%d"], "security-severity": "%d.5"}}`, r, r, r, r, 20+r, r%10)
		}
		b.WriteString("]}},\n\"results\": [\n")
		for i := range 100000 {
			if i > 0 {
				b.WriteString(",\n")
			}
			fmt.Fprintf(&b, `{"ruleId": "js/rule-%d", "ruleIndex": %d, "level": "warning", "message": {"text": "Problem %d found near a [user-provided value](1)."}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/module%d/file%d.js", "uriBaseId": "%%SRCROOT%%"}, "region": {"startLine": %d, "startColumn": 5, "endColumn": 40}}}], "partialFingerprints": {"primaryLocationLineHash": "%016x:1"}, "codeFlows": [{"threadFlows": [{"locations": [{"location": {"physicalLocation": {"artifactLocation": {"uri": "src/a.js"}, "region": {"startLine": 1}}}}]}]}]}`, i%50, i%50, i, i%100, i%37, i%900+1, uint64(i)*2654435761)
		}
		b.WriteString("\n]}]}\n")
		benchSARIFData = b.Bytes()
	})
	return benchSARIFData
}

// benchParse parses data b.N times, reporting MB/s, findings/op, the time
// per op and the peak heap seen by a sampler.
func benchParse(b *testing.B, data []byte, f Format) {
	b.SetBytes(int64(len(data)))
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
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	n := 0
	b.ResetTimer()
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
	close(done)
	wg.Wait()
	b.ReportMetric(float64(n), "findings/op")
	b.ReportMetric(float64(len(data))/1e6/(b.Elapsed().Seconds()/float64(b.N)), "MB/s")
	// The input itself stays on the heap; report what Parse adds.
	b.ReportMetric(float64(peak)/(1<<20), "peakHeapMiB")
	b.ReportMetric(float64(len(data))/(1<<20), "inputMiB")
}

func BenchmarkParseNmap50MB(b *testing.B) {
	data := nmapBenchData()
	if !strings.HasSuffix(string(data[len(data)-12:]), "</nmaprun>\n") {
		b.Fatal("bad data")
	}
	benchParse(b, data, Nmap)
}

func BenchmarkParseSARIF100k(b *testing.B) {
	benchParse(b, sarifBenchData(), SARIF)
}
