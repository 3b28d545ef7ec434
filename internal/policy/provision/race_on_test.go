//go:build race

package provision

// allocSlack scales the allocation bounds: the race detector's
// instrumentation moves values to the heap that a normal build keeps on
// the stack.
const allocSlack = 2
