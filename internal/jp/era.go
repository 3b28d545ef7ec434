package jp

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // guarantees Asia/Tokyo even on hosts without a zoneinfo database

	"golang.org/x/text/unicode/norm"
)

// JST is the Asia/Tokyo location. All date arithmetic in this package is done
// in it; if the zone database cannot be loaded it is a fixed UTC+9 zone.
var JST = loadJST()

func loadJST() *time.Location {
	if loc, err := time.LoadLocation("Asia/Tokyo"); err == nil {
		return loc
	}
	return time.FixedZone("JST", 9*3600)
}

// era is one Japanese era, from its first day (Gregorian, inclusive).
type era struct {
	name  string // 令和
	abbr  string // R
	start ymd    // first day
	last  int    // last era year that exists (0: still current)
}

// ymd is a calendar date packed as yyyymmdd, so that dates compare as ints
// independently of any time zone.
type ymd int

func dateOf(y int, m time.Month, d int) ymd { return ymd(y*10000 + int(m)*100 + d) }

func (d ymd) year() int { return int(d) / 10000 }

// eras is ordered newest first.
var eras = []era{
	{"令和", "R", dateOf(2019, 5, 1), 0},
	{"平成", "H", dateOf(1989, 1, 8), 31},
	{"昭和", "S", dateOf(1926, 12, 25), 64},
	{"大正", "T", dateOf(1912, 7, 30), 15},
	{"明治", "M", dateOf(1868, 1, 25), 45},
}

// eraAt returns the era in effect on the given date, or nil before 明治.
func eraAt(d ymd) *era {
	for i := range eras {
		if d >= eras[i].start {
			return &eras[i]
		}
	}
	return nil
}

// jstDate returns the calendar date of t in Asia/Tokyo.
func jstDate(t time.Time) (int, time.Month, int) {
	return t.In(JST).Date()
}

// Era returns the Japanese era name and era year of t's date in Asia/Tokyo,
// e.g. ("令和", 8) for 2026-11-26. Before 明治 it returns ("", Gregorian year).
func Era(t time.Time) (name string, year int) {
	y, m, d := jstDate(t)
	e := eraAt(dateOf(y, m, d))
	if e == nil {
		return "", y
	}
	return e.name, y - e.start.year() + 1
}

// eraYear formats an era year, writing the first year as 元.
func eraYear(n int) string {
	if n == 1 {
		return "元"
	}
	return strconv.Itoa(n)
}

// FormatWareki formats t's date in Asia/Tokyo as "令和8年11月26日"; the first
// year of an era is written "元年". Dates before 明治 are written "1850年1月1日".
func FormatWareki(t time.Time) string {
	y, m, d := jstDate(t)
	e := eraAt(dateOf(y, m, d))
	// Built by hand, not with fmt: lists print a date on every row.
	b := make([]byte, 0, 32)
	if e == nil {
		b = strconv.AppendInt(b, int64(y), 10)
	} else {
		b = append(b, e.name...)
		b = append(b, eraYear(y-e.start.year()+1)...)
	}
	b = append(b, "年"...)
	b = strconv.AppendInt(b, int64(m), 10)
	b = append(b, "月"...)
	b = strconv.AppendInt(b, int64(d), 10)
	b = append(b, "日"...)
	return string(b)
}

// FormatWarekiShort formats t's date in Asia/Tokyo as "R8.11.26", using the
// era initials M/T/S/H/R and plain digits (the first year is "1", not 元).
// Dates before 明治 are written "1850.1.1".
func FormatWarekiShort(t time.Time) string {
	y, m, d := jstDate(t)
	e := eraAt(dateOf(y, m, d))
	if e == nil {
		return fmt.Sprintf("%d.%d.%d", y, int(m), d)
	}
	return fmt.Sprintf("%s%d.%d.%d", e.abbr, y-e.start.year()+1, int(m), d)
}

// FormatWarekiDateTime converts t to Asia/Tokyo and formats it as
// "令和8年11月26日 14:05" (24-hour clock, two-digit hour and minute).
func FormatWarekiDateTime(t time.Time) string {
	t = t.In(JST)
	return fmt.Sprintf("%s %02d:%02d", FormatWareki(t), t.Hour(), t.Minute())
}

// FiscalYearOf returns the 年度 of t's date in Asia/Tokyo: a fiscal year runs
// from 1 April to 31 March, so 2026-04-01 … 2027-03-31 is 2026.
func FiscalYearOf(t time.Time) int {
	y, m, _ := jstDate(t)
	if m < time.April {
		return y - 1
	}
	return y
}

// FiscalYearStart returns the first day of fiscal year fy (1 April, 00:00 JST).
func FiscalYearStart(fy int) time.Time {
	return time.Date(fy, time.April, 1, 0, 0, 0, 0, JST)
}

// FiscalYearEnd returns the last day of fiscal year fy (31 March of the next
// year, 00:00 JST). Use FiscalYearStart(fy+1) as an exclusive upper bound.
func FiscalYearEnd(fy int) time.Time {
	return time.Date(fy+1, time.March, 31, 0, 0, 0, 0, JST)
}

// FiscalYearLabel names fiscal year fy in 和暦, e.g. 2026 → "令和8年度",
// 2019 → "令和元年度". The era is the one in effect on 1 May of fy, so
// 1988 → "昭和63年度" and 1989 → "平成元年度". Before 明治: "1850年度".
func FiscalYearLabel(fy int) string {
	e := eraAt(dateOf(fy, time.May, 1))
	if e == nil {
		return fmt.Sprintf("%d年度", fy)
	}
	return fmt.Sprintf("%s%s年度", e.name, eraYear(fy-e.start.year()+1))
}

// Patterns are matched against input that went through NFKC (full-width
// digits and letters become ASCII; ㋿ becomes 令和) and lost all spaces.
var (
	eraPat   = `(明治|大正|昭和|平成|令和|[MTSHRmtshr])(元|\d{1,2})`
	fyEraRe  = regexp.MustCompile(`^` + eraPat + `(?:年度?)?$`)
	fyGregRe = regexp.MustCompile(`^(?:FY|fy)?(\d{4})(?:年度?)?$`)

	dateISORe  = regexp.MustCompile(`^(\d{4})([-/.])(\d{1,2})([-/.])(\d{1,2})$`)
	dateKanjRe = regexp.MustCompile(`^(\d{4})年(\d{1,2})月(\d{1,2})日?$`)
	dateNumRe  = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
	dateEraSep = regexp.MustCompile(`^` + eraPat + `([-/.])(\d{1,2})([-/.])(\d{1,2})$`)
	dateEraKan = regexp.MustCompile(`^` + eraPat + `年(\d{1,2})月(\d{1,2})日?$`)
	// An all-zero time as Excel writes it ("2026/4/1 0:00", "… 00:00:00").
	zeroTimeRe = regexp.MustCompile(`\s+0?0:00(:00)?$`)
	weekdayRe  = regexp.MustCompile(`\(([日月火水木金土])(?:曜日?)?\)$`)
)

// lookupEra finds an era by kanji name or initial (case-insensitive).
func lookupEra(s string) *era {
	for i := range eras {
		if s == eras[i].name || strings.EqualFold(s, eras[i].abbr) {
			return &eras[i]
		}
	}
	return nil
}

// eraToYear converts an era name and era-year text ("元" or digits) to the
// Gregorian year, checking the era year exists.
func eraToYear(name, n string) (*era, int, bool) {
	e := lookupEra(name)
	if e == nil {
		return nil, 0, false
	}
	k := 1
	if n != "元" {
		var err error
		if k, err = strconv.Atoi(n); err != nil || k < 1 {
			return nil, 0, false
		}
	}
	if e.last != 0 && k > e.last {
		return nil, 0, false
	}
	return e, e.start.year() + k - 1, true
}

// compact applies NFKC and removes every white-space rune.
func compact(s string) string {
	s = norm.NFKC.String(s)
	return strings.Join(strings.Fields(s), "")
}

// ParseFiscalYear parses a 年度 written as "2026", "2026年度", "令和8年度",
// "R8", "令和元年度" or "H31" (full-width digits and letters too) and
// returns the Gregorian start year.
func ParseFiscalYear(s string) (int, error) {
	c := compact(s)
	if m := fyGregRe.FindStringSubmatch(c); m != nil {
		y, _ := strconv.Atoi(m[1])
		if y >= 1000 {
			return y, nil
		}
	}
	if m := fyEraRe.FindStringSubmatch(c); m != nil {
		if _, y, ok := eraToYear(m[1], m[2]); ok {
			return y, nil
		}
	}
	return 0, fmt.Errorf("年度として解釈できません: %s", strings.TrimSpace(s))
}

// ParseDate parses a date written as "2026-04-01", "2026/4/1", "2026.4.1",
// "20260401", "2026年4月1日", "令和8年4月1日", "令和元年5月1日", "R8.4.1" or
// "R8/4/1" (full-width digits and letters too) and returns it at 00:00 JST.
// A trailing weekday such as "(水)" is allowed if it is correct, and so is an
// all-zero time such as " 0:00" as spreadsheets write it. Era dates must fall
// on or after the era's first day ("令和元年4月1日" is rejected).
func ParseDate(s string) (time.Time, error) {
	t, err := parseDate(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("日付として解釈できません: %s", strings.TrimSpace(s))
	}
	return t, nil
}

var errBadDate = errors.New("bad date")

func parseDate(s string) (time.Time, error) {
	n := strings.TrimSpace(norm.NFKC.String(s))
	n = zeroTimeRe.ReplaceAllString(n, "")
	c := strings.Join(strings.Fields(n), "")

	weekday := -1
	if m := weekdayRe.FindStringSubmatch(c); m != nil {
		weekday = strings.Index("日月火水木金土", m[1]) / len("日")
		c = c[:len(c)-len(m[0])]
	}

	var (
		y, mo, d int
		e        *era
	)
	atoi := func(v string) int { k, _ := strconv.Atoi(v); return k }
	if m := dateISORe.FindStringSubmatch(c); m != nil && m[2] == m[4] {
		y, mo, d = atoi(m[1]), atoi(m[3]), atoi(m[5])
	} else if m := dateKanjRe.FindStringSubmatch(c); m != nil {
		y, mo, d = atoi(m[1]), atoi(m[2]), atoi(m[3])
	} else if m := dateNumRe.FindStringSubmatch(c); m != nil {
		y, mo, d = atoi(m[1]), atoi(m[2]), atoi(m[3])
	} else if m := dateEraSep.FindStringSubmatch(c); m != nil && m[3] == m[5] {
		var ok bool
		if e, y, ok = eraToYear(m[1], m[2]); !ok {
			return time.Time{}, errBadDate
		}
		mo, d = atoi(m[4]), atoi(m[6])
	} else if m := dateEraKan.FindStringSubmatch(c); m != nil {
		var ok bool
		if e, y, ok = eraToYear(m[1], m[2]); !ok {
			return time.Time{}, errBadDate
		}
		mo, d = atoi(m[3]), atoi(m[4])
	} else {
		return time.Time{}, errBadDate
	}

	if y < 1000 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, errBadDate
	}
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, JST)
	if t.Day() != d { // 2月30日 and the like
		return time.Time{}, errBadDate
	}
	if e != nil && dateOf(y, time.Month(mo), d) < e.start {
		return time.Time{}, errBadDate
	}
	if weekday >= 0 && int(t.Weekday()) != weekday {
		return time.Time{}, errBadDate
	}
	return t, nil
}

// DateKey is t's calendar date in Japan as the database stores dates:
// 2026-04-01 ("" for the zero time).
func DateKey(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(JST).Format("2006-01-02")
}

// ParseDateKey reads a date stored by DateKey; "" or a malformed value is
// the zero time.
func ParseDateKey(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation("2006-01-02", s, JST)
	if err != nil {
		return time.Time{}
	}
	return t
}
