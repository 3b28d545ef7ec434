// Package content embeds Mamori's authored default content (demo ward data,
// security word lists, the catalogue of standards and checklists, the demo
// ward's policy) so that reviewers who do not read Go can read and correct it.
package content

import "embed"

// FS holds every content file, by its path under content/.
//
//go:embed demo security catalog policy audit survey learning incident drill
var FS embed.FS
