// Package probe runs Mamori's built-in safe checks: a TLS configuration
// check, an HTTP security-header check and a TCP connect check, each
// producing a report for display and finding.Finding values for the scan
// module.
//
// The checks are for system audits the ward has approved, and they obey
// these safety rules:
//
//   - Only approved targets. Every target is checked against the Scope
//     (the approved allow-list) before any connection: an IP address must
//     lie inside one of the approved prefixes; a host name must be listed,
//     or resolve only to addresses inside the approved prefixes; a URL must
//     lie under an approved URL prefix or have an approved host. A host
//     name is resolved once per check and the checked address is the one
//     dialled (never re-resolved), so DNS rebinding cannot redirect a check.
//     Anything else fails with ErrOutOfScope and nothing is contacted.
//   - Only inside the approved window. Options.Start and Options.End bound
//     the time when connections may be made; the window and the abort
//     switch (Options.Abort) are checked again before every connection, so
//     a long check stops at the end of the window (ErrOutsideWindow) or
//     when aborted (ErrAborted).
//   - Rate-limited and serial. At most Options.Rate new connections per
//     second (default 2, never more than 20) across one Checker, one
//     connection at a time, each with a timeout.
//   - Connection only. No exploitation and no payloads: the TLS check only
//     performs handshakes and closes the connection; the TCP check connects
//     and closes without sending data; the HTTP check sends one plain GET
//     with the User-Agent "Mamori-SafeCheck/1", never follows redirects
//     (the Location is only recorded) and reads at most 64 KiB of the body.
//     No proxy from the environment is used.
//
// Everything a user sees (errors, finding titles, descriptions and
// remedies) is in Japanese. TLS settings are graded against the
// CRYPTREC/IPA 「TLS暗号設定ガイドライン」 (Ver. 3.0.1); see grade.go for
// what is encoded and what was assumed.
package probe
