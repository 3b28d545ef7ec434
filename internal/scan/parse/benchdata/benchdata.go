// Package benchdata makes the large scanner files the speed targets are
// measured on (issue 18: a 50 MB Nmap XML of a /16, a SARIF file of
// 100,000 results), in memory, once per process.
package benchdata

import (
	"bytes"
	"fmt"
	"sync"
)

var (
	benchNmapOnce, benchSARIFOnce sync.Once
	benchNmapData, benchSARIFData []byte
)

// Nmap16 is an Nmap XML scan of a /16 (65,536 hosts): every other
// host up, each up host with two to four open ports, some with vulners
// output; about 50 MB.
func Nmap16() []byte {
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

// SARIF100k is a SARIF file with one run, 50 rules and 100,000
// results.
func SARIF100k() []byte {
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
