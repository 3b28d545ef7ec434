package jp

import (
	"sync"
	"time"
)

// Holidays are computed for the years 2020–2099 only: the rules below are the
// Act on National Holidays (国民の祝日に関する法律) as it stands since 2020,
// and the equinox formula is valid up to 2099. 春分の日 and 秋分の日 are
// officially fixed each February for the following year; the formula agrees
// with every announced date so far but remains an approximation for later
// years.
const (
	holidayFirstYear = 2020
	holidayLastYear  = 2099
)

// Holiday reports whether the calendar date of t (in JST) is a national holiday
// (国民の祝日, 振替休日 or 国民の休日), and its Japanese name ("元日", "振替休日", "国民の休日" ...).
// Dates outside 2020–2099 are never reported as holidays.
func Holiday(t time.Time) (name string, ok bool) {
	y, m, d := jstDate(t)
	name, ok = holidaysOf(y)[dateOf(y, m, d)]
	return name, ok
}

// OfficeClosed reports whether a ward office is closed on the calendar date of t (JST):
// Saturday, Sunday, a national holiday, or the year-end/new-year closure 12月29日〜1月3日.
func OfficeClosed(t time.Time) bool {
	y, m, d := jstDate(t)
	switch {
	case m == time.December && d >= 29, m == time.January && d <= 3:
		return true
	}
	if wd := civil(y, m, d).Weekday(); wd == time.Saturday || wd == time.Sunday {
		return true
	}
	_, ok := holidaysOf(y)[dateOf(y, m, d)]
	return ok
}

// NextOpenDay is t's date if the office is open on it, otherwise the next date it is open;
// the result is 00:00 JST of that date.
func NextOpenDay(t time.Time) time.Time {
	y, m, d := jstDate(t)
	day := time.Date(y, m, d, 0, 0, 0, 0, JST)
	for OfficeClosed(day) {
		d++
		day = time.Date(y, m, d, 0, 0, 0, 0, JST) // time.Date normalises 32 Dec etc.
	}
	return day
}

// civil is a calendar date as a time.Time in UTC, for weekday arithmetic that
// must not depend on any zone.
func civil(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// nthMonday returns the day of month of the n-th Monday of y/m.
func nthMonday(y int, m time.Month, n int) int {
	first := civil(y, m, 1).Weekday()
	return 1 + (7+int(time.Monday)-int(first))%7 + 7*(n-1)
}

// equinoxes returns the day of March of 春分の日 and of September of 秋分の日
// by the usual approximation, valid for 1980–2099.
func equinoxes(y int) (spring, autumn int) {
	n := float64(y - 1980)
	leap := float64((y - 1980) / 4)
	return int(20.8431 + 0.242194*n - leap), int(23.2488 + 0.242194*n - leap)
}

// holidayCache maps a year to its map[ymd]string of holidays.
var holidayCache sync.Map

// holidaysOf returns the holidays of year y by date; it is empty outside
// 2020–2099. The returned map must not be modified.
func holidaysOf(y int) map[ymd]string {
	if v, ok := holidayCache.Load(y); ok {
		return v.(map[ymd]string)
	}
	h := computeHolidays(y)
	v, _ := holidayCache.LoadOrStore(y, h)
	return v.(map[ymd]string)
}

func computeHolidays(y int) map[ymd]string {
	h := make(map[ymd]string)
	if y < holidayFirstYear || y > holidayLastYear {
		return h
	}
	add := func(m time.Month, d int, name string) { h[dateOf(y, m, d)] = name }

	// 国民の祝日 proper.
	spring, autumn := equinoxes(y)
	add(time.January, 1, "元日")
	add(time.January, nthMonday(y, time.January, 2), "成人の日")
	add(time.February, 11, "建国記念の日")
	add(time.February, 23, "天皇誕生日")
	add(time.March, spring, "春分の日")
	add(time.April, 29, "昭和の日")
	add(time.May, 3, "憲法記念日")
	add(time.May, 4, "みどりの日")
	add(time.May, 5, "こどもの日")
	add(time.September, nthMonday(y, time.September, 3), "敬老の日")
	add(time.September, autumn, "秋分の日")
	add(time.November, 3, "文化の日")
	add(time.November, 23, "勤労感謝の日")
	switch y {
	case 2020: // moved for the Tokyo Olympics
		add(time.July, 23, "海の日")
		add(time.July, 24, "スポーツの日")
		add(time.August, 10, "山の日")
	case 2021: // moved again when the Olympics were postponed
		add(time.July, 22, "海の日")
		add(time.July, 23, "スポーツの日")
		add(time.August, 8, "山の日")
	default:
		add(time.July, nthMonday(y, time.July, 3), "海の日")
		add(time.August, 11, "山の日")
		add(time.October, nthMonday(y, time.October, 2), "スポーツの日")
	}

	// 振替休日 (Art. 3(2)): a 国民の祝日 on a Sunday makes the nearest
	// following day that is not a 国民の祝日 a holiday. Only 国民の祝日 count,
	// so the new entries are collected apart first.
	extra := make(map[ymd]string)
	isHoliday := func(t time.Time) bool {
		_, ok := h[dateOf(t.Date())]
		return ok
	}
	for k := range h {
		t := civil(k.year(), time.Month(int(k)/100%100), int(k)%100)
		if t.Weekday() != time.Sunday {
			continue
		}
		for t = t.AddDate(0, 0, 1); isHoliday(t); t = t.AddDate(0, 0, 1) {
		}
		extra[dateOf(t.Date())] = "振替休日"
	}

	// 国民の休日 (Art. 3(3)): a day that is not a 国民の祝日 but whose day
	// before and day after both are. 5月4日 was the classic case before it
	// became みどりの日; today it is the Tuesday between 敬老の日 and 秋分の日.
	for t := civil(y, time.January, 2); t.Year() == y; t = t.AddDate(0, 0, 1) {
		if isHoliday(t) || !isHoliday(t.AddDate(0, 0, -1)) || !isHoliday(t.AddDate(0, 0, 1)) {
			continue
		}
		if k := dateOf(t.Date()); extra[k] == "" {
			extra[k] = "国民の休日"
		}
	}

	for k, name := range extra {
		if k.year() == y { // a 振替休日 never crosses the year, but be safe
			h[k] = name
		}
	}
	return h
}
