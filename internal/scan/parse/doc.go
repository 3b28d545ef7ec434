// Package parse reads the output files of the scanners auditors run for a
// system audit's technical verification and turns them into
// finding.Finding values:
//
//   - Nmap XML (-oX): one informational finding per open port (area
//     network), raised to medium for services that should not be exposed
//     (Telnet, FTP, r-services, SMB, RDP, VNC, SNMP, database listeners),
//     plus one finding per entry of the vulners NSE script (area
//     vulnerability, severity from its CVSS). Key
//     "nmap|<addr>|<proto>/<port>" and "…|<id>" for vulners entries.
//   - OpenVAS/Greenbone XML reports (<report> or <get_reports_response>):
//     one finding per result, severity from the result's score; false
//     positives, debug and error results are left out. Key
//     "openvas|<nvt oid>|<host>|<port>".
//   - Trivy JSON (schema 2, and the schema 1 array): vulnerabilities (key
//     "trivy|<target>|<pkg>|<id>"), failed misconfiguration checks (key
//     "trivy|<target>|<check id>") and secrets (key
//     "trivy|<target>|<rule>|<line>"). The matched secret text is never
//     read into memory as a field, let alone stored.
//   - SARIF 2.1.0 (CodeQL, semgrep, gosec…): one finding per result (area
//     code), severity from the rule's security-severity, else from the
//     level. Key "sarif|<tool>|<rule>|<uri>|<fingerprint or line>". Rules
//     are taken from the run's tool, which normally precedes the results;
//     when a run's results come first they are held until its tool is read.
//   - CSV, Mamori's own generic format (UTF-8 or Shift_JIS, Japanese or
//     English headers), checked row by row before anything is emitted.
//
// Keys are the deduplication keys: they depend only on what the scanner
// reported and where, so importing the same scanner's output for the same
// target again gives the same keys. Keys longer than finding.MaxShort
// runes are shortened with a hash of the whole key.
//
// Safety: Parse streams (encoding/xml and encoding/json token by token,
// decoding one host, result or vulnerability at a time), so memory does
// not grow with the file; it refuses files over Limits.MaxBytes and more
// findings than Limits.MaxFindings; XML is decoded strictly, a DOCTYPE
// declaring entities or naming an external (SYSTEM/PUBLIC) resource is
// refused outright (so neither "billion laughs" nor XXE can apply), and
// element nesting is capped at 200 levels, as is the nesting of the JSON
// values walked. Every error a user sees is a *Error in Japanese; on any
// error the caller discards what was emitted.
package parse
