package jp

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestHoliday(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string // "" means not a holiday
	}{
		// 2026
		{jst(2026, 1, 1), "元日"},
		{jst(2026, 1, 12), "成人の日"},
		{jst(2026, 2, 11), "建国記念の日"},
		{jst(2026, 2, 23), "天皇誕生日"},
		{jst(2026, 3, 20), "春分の日"},
		{jst(2026, 4, 29), "昭和の日"},
		{jst(2026, 5, 3), "憲法記念日"},
		{jst(2026, 5, 4), "みどりの日"},
		{jst(2026, 5, 5), "こどもの日"},
		{jst(2026, 5, 6), "振替休日"},
		{jst(2026, 7, 20), "海の日"},
		{jst(2026, 8, 11), "山の日"},
		{jst(2026, 9, 21), "敬老の日"},
		{jst(2026, 9, 22), "国民の休日"},
		{jst(2026, 9, 23), "秋分の日"},
		{jst(2026, 10, 12), "スポーツの日"},
		{jst(2026, 11, 3), "文化の日"},
		{jst(2026, 11, 23), "勤労感謝の日"},
		{jst(2026, 1, 2), ""},
		{jst(2026, 5, 7), ""},
		{jst(2026, 9, 24), ""},
		{jst(2026, 12, 29), ""}, // office closure, not a holiday
		// 2025
		{jst(2025, 2, 24), "振替休日"},
		{jst(2025, 3, 20), "春分の日"},
		{jst(2025, 5, 4), "みどりの日"},
		{jst(2025, 5, 6), "振替休日"},
		{jst(2025, 9, 23), "秋分の日"},
		{jst(2025, 11, 24), "振替休日"},
		// 2027: 春分の日 on a Sunday
		{jst(2027, 3, 21), "春分の日"},
		{jst(2027, 3, 22), "振替休日"},
		// 2024
		{jst(2024, 2, 12), "振替休日"},
		{jst(2024, 9, 22), "秋分の日"},
		{jst(2024, 9, 23), "振替休日"},
		// Olympic years
		{jst(2020, 7, 23), "海の日"},
		{jst(2020, 7, 24), "スポーツの日"},
		{jst(2020, 8, 10), "山の日"},
		{jst(2020, 8, 11), ""},
		{jst(2020, 7, 20), ""},
		{jst(2020, 10, 12), ""},
		{jst(2021, 7, 22), "海の日"},
		{jst(2021, 7, 23), "スポーツの日"},
		{jst(2021, 8, 8), "山の日"},
		{jst(2021, 8, 9), "振替休日"},
		{jst(2021, 8, 11), ""},
		{jst(2021, 7, 19), ""},
		{jst(2021, 10, 11), ""},
		// later silver weeks
		{jst(2032, 9, 21), "国民の休日"},
		{jst(2037, 9, 22), "国民の休日"},
		// judged by the date in Tokyo, not the zone of the argument
		{time.Date(2026, 5, 5, 16, 0, 0, 0, time.UTC), "振替休日"},
		{time.Date(2026, 5, 6, 14, 59, 0, 0, time.UTC), "振替休日"},
		{time.Date(2026, 5, 6, 15, 0, 0, 0, time.UTC), ""},
		{time.Date(2026, 9, 22, 23, 30, 0, 0, JST), "国民の休日"},
		// outside the supported range
		{jst(2019, 5, 1), ""},
		{jst(2100, 1, 1), ""},
	}
	for _, tt := range tests {
		t.Run(tt.t.Format(time.RFC3339), func(t *testing.T) {
			name, ok := Holiday(tt.t)
			if name != tt.want || ok != (tt.want != "") {
				t.Errorf("Holiday(%v) = %q, %v; want %q, %v", tt.t, name, ok, tt.want, tt.want != "")
			}
		})
	}
}

// yearHolidays lists every holiday of year y as "M/D name".
func yearHolidays(y int) []string {
	var got []string
	for d := jst(y, time.January, 1); d.Year() == y; d = d.AddDate(0, 0, 1) {
		if name, ok := Holiday(d); ok {
			got = append(got, fmt.Sprintf("%d/%d %s", d.Month(), d.Day(), name))
		}
	}
	return got
}

func TestHolidayFullYears(t *testing.T) {
	// The calendars published by the Cabinet Office (内閣府).
	want := map[int][]string{
		2020: {
			"1/1 元日", "1/13 成人の日", "2/11 建国記念の日", "2/23 天皇誕生日", "2/24 振替休日",
			"3/20 春分の日", "4/29 昭和の日", "5/3 憲法記念日", "5/4 みどりの日", "5/5 こどもの日",
			"5/6 振替休日", "7/23 海の日", "7/24 スポーツの日", "8/10 山の日", "9/21 敬老の日",
			"9/22 秋分の日", "11/3 文化の日", "11/23 勤労感謝の日",
		},
		2021: {
			"1/1 元日", "1/11 成人の日", "2/11 建国記念の日", "2/23 天皇誕生日", "3/20 春分の日",
			"4/29 昭和の日", "5/3 憲法記念日", "5/4 みどりの日", "5/5 こどもの日", "7/22 海の日",
			"7/23 スポーツの日", "8/8 山の日", "8/9 振替休日", "9/20 敬老の日", "9/23 秋分の日",
			"11/3 文化の日", "11/23 勤労感謝の日",
		},
		2025: {
			"1/1 元日", "1/13 成人の日", "2/11 建国記念の日", "2/23 天皇誕生日", "2/24 振替休日",
			"3/20 春分の日", "4/29 昭和の日", "5/3 憲法記念日", "5/4 みどりの日", "5/5 こどもの日",
			"5/6 振替休日", "7/21 海の日", "8/11 山の日", "9/15 敬老の日", "9/23 秋分の日",
			"10/13 スポーツの日", "11/3 文化の日", "11/23 勤労感謝の日", "11/24 振替休日",
		},
		2026: {
			"1/1 元日", "1/12 成人の日", "2/11 建国記念の日", "2/23 天皇誕生日", "3/20 春分の日",
			"4/29 昭和の日", "5/3 憲法記念日", "5/4 みどりの日", "5/5 こどもの日", "5/6 振替休日",
			"7/20 海の日", "8/11 山の日", "9/21 敬老の日", "9/22 国民の休日", "9/23 秋分の日",
			"10/12 スポーツの日", "11/3 文化の日", "11/23 勤労感謝の日",
		},
	}
	for y, w := range want {
		if got := yearHolidays(y); !reflect.DeepEqual(got, w) {
			t.Errorf("holidays of %d:\n got %q\nwant %q", y, got, w)
		}
	}
}

func TestHolidayInvariants(t *testing.T) {
	for y := holidayFirstYear; y <= holidayLastYear; y++ {
		spring, autumn := equinoxes(y)
		if spring < 19 || spring > 21 || autumn < 22 || autumn > 24 {
			t.Errorf("%d: equinoxes 3/%d, 9/%d out of the plausible range", y, spring, autumn)
		}
		for d := jst(y, time.January, 1); d.Year() == y; d = d.AddDate(0, 0, 1) {
			name, ok := Holiday(d)
			if !ok {
				continue
			}
			_, prevOK := Holiday(d.AddDate(0, 0, -1))
			switch name {
			case "振替休日":
				// The day before is a Sunday holiday or another holiday
				// in a run that started on a Sunday.
				if !prevOK || d.Weekday() == time.Sunday {
					t.Errorf("%s: 振替休日 without a preceding holiday", DateKey(d))
				}
			case "国民の休日":
				if _, nextOK := Holiday(d.AddDate(0, 0, 1)); !prevOK || !nextOK {
					t.Errorf("%s: 国民の休日 not between two holidays", DateKey(d))
				}
			}
			// Every Sunday holiday is followed, after the run of holidays, by a 振替休日.
			if d.Weekday() == time.Sunday && name != "振替休日" {
				e := d.AddDate(0, 0, 1)
				for {
					n, ok := Holiday(e)
					if !ok {
						t.Errorf("%s: Sunday %s has no 振替休日", DateKey(d), name)
						break
					}
					if n == "振替休日" {
						break
					}
					e = e.AddDate(0, 0, 1)
				}
			}
		}
	}
}

func TestOfficeClosed(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want bool
	}{
		{"12/28 Monday before the closure", jst(2026, 12, 28), false},
		{"12/29 year-end closure", jst(2026, 12, 29), true},
		{"12/31", jst(2026, 12, 31), true},
		{"1/1 元日", jst(2027, 1, 1), true},
		{"1/3 new-year closure", jst(2027, 1, 3), true},
		{"1/4 Monday open", jst(2027, 1, 4), false},
		{"Saturday", jst(2026, 6, 13), true},
		{"Sunday", jst(2026, 6, 14), true},
		{"plain Wednesday", jst(2026, 6, 10), false},
		{"国民の休日", jst(2026, 9, 22), true},
		{"振替休日", jst(2026, 5, 6), true},
		{"year-end closure outside the holiday range", jst(2150, 12, 30), true},
		{"UTC instant already 振替休日 in Tokyo", time.Date(2026, 5, 5, 16, 0, 0, 0, time.UTC), true},
		{"UTC instant already Thursday 5/7 in Tokyo", time.Date(2026, 5, 6, 15, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OfficeClosed(tt.t); got != tt.want {
				t.Errorf("OfficeClosed(%v) = %v; want %v", tt.t, got, tt.want)
			}
		})
	}
}

func TestNextOpenDay(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want time.Time
	}{
		{"open Friday stays", jst(2026, 12, 25), jst(2026, 12, 25)},
		{"time of day is dropped", time.Date(2026, 12, 25, 17, 30, 0, 0, JST), jst(2026, 12, 25)},
		// 12/28 is a working Monday: the closure only starts on 12/29.
		{"Saturday before the year-end closure", jst(2026, 12, 26), jst(2026, 12, 28)},
		{"year-end closure", jst(2026, 12, 29), jst(2027, 1, 4)},
		{"last day of the new-year closure", jst(2027, 1, 3), jst(2027, 1, 4)},
		{"golden week", jst(2026, 5, 2), jst(2026, 5, 7)},
		{"silver week", jst(2026, 9, 19), jst(2026, 9, 24)},
		{"春分の日 on Sunday", jst(2027, 3, 20), jst(2027, 3, 23)},
		{"UTC instant on 振替休日 in Tokyo", time.Date(2026, 5, 5, 16, 0, 0, 0, time.UTC), jst(2026, 5, 7)},
		{"UTC instant on Friday in Tokyo", time.Date(2026, 12, 24, 15, 0, 0, 0, time.UTC), jst(2026, 12, 25)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextOpenDay(tt.t)
			if !got.Equal(tt.want) || got.Location() != JST {
				t.Errorf("NextOpenDay(%v) = %v; want %v", tt.t, got, tt.want)
			}
			if h, m, s := got.Clock(); h != 0 || m != 0 || s != 0 || got.Nanosecond() != 0 {
				t.Errorf("NextOpenDay(%v) = %v; want 00:00 JST", tt.t, got)
			}
		})
	}
}
