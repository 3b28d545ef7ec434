package policy

// The fixtures of the store tests, for the screen tests in package
// policy_test.
var (
	SampleText  = sampleText
	FixedNow    = fixedNow
	ParseSample = parseSample
	UnitPath    = unitPath
)
