//go:build !race

package provision

// allocSlack scales the allocation bounds (1 in a normal build).
const allocSlack = 1
