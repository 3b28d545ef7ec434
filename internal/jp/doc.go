// Package jp holds the Japan-specific helpers Mamori needs everywhere:
// 和暦 (Japanese era) dates and 年度 (fiscal years), text normalisation for
// matching headers and names, display-width handling, and reading and writing
// CSV files in the encodings Japanese offices actually use (UTF-8 with or
// without BOM, and Shift_JIS in its Windows form, CP932).
//
// Every error a user can see is worded in Japanese.
package jp
