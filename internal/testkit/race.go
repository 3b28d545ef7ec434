//go:build race

package testkit

// Race reports whether the tests were built with the race detector.
const Race = true
