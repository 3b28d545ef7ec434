package jp

import (
	"strings"
	"testing"
	"time"
)

func jst(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, JST)
}

func TestEra(t *testing.T) {
	tests := []struct {
		name     string
		t        time.Time
		wantEra  string
		wantYear int
	}{
		{"last day of 平成", jst(2019, 4, 30), "平成", 31},
		{"first day of 令和", jst(2019, 5, 1), "令和", 1},
		{"令和8", jst(2026, 11, 26), "令和", 8},
		{"last day of 昭和", jst(1989, 1, 7), "昭和", 64},
		{"first day of 平成", jst(1989, 1, 8), "平成", 1},
		{"last day of 大正", jst(1926, 12, 24), "大正", 15},
		{"first day of 昭和", jst(1926, 12, 25), "昭和", 1},
		{"last day of 明治", jst(1912, 7, 29), "明治", 45},
		{"first day of 大正", jst(1912, 7, 30), "大正", 1},
		{"first day of 明治", jst(1868, 1, 25), "明治", 1},
		{"before 明治", jst(1868, 1, 24), "", 1868},
		{"UTC instant already 5/1 in Tokyo", time.Date(2019, 4, 30, 15, 0, 0, 0, time.UTC), "令和", 1},
		{"UTC instant still 4/30 in Tokyo", time.Date(2019, 4, 30, 14, 59, 0, 0, time.UTC), "平成", 31},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotEra, gotYear := Era(tt.t)
			if gotEra != tt.wantEra || gotYear != tt.wantYear {
				t.Errorf("Era(%v) = %q, %d; want %q, %d", tt.t, gotEra, gotYear, tt.wantEra, tt.wantYear)
			}
		})
	}
}

func TestFormatWareki(t *testing.T) {
	tests := []struct {
		name      string
		t         time.Time
		long      string
		short     string
		dateTime  string
		wantEraOK bool
	}{
		{"令和8", time.Date(2026, 11, 26, 14, 5, 0, 0, JST), "令和8年11月26日", "R8.11.26", "令和8年11月26日 14:05", true},
		{"令和元年", jst(2019, 5, 1), "令和元年5月1日", "R1.5.1", "令和元年5月1日 00:00", true},
		{"平成31年", jst(2019, 4, 30), "平成31年4月30日", "H31.4.30", "平成31年4月30日 00:00", true},
		{"昭和", jst(1988, 3, 9), "昭和63年3月9日", "S63.3.9", "昭和63年3月9日 00:00", true},
		{"大正", jst(1920, 1, 1), "大正9年1月1日", "T9.1.1", "大正9年1月1日 00:00", true},
		{"明治", jst(1900, 1, 1), "明治33年1月1日", "M33.1.1", "明治33年1月1日 00:00", true},
		{"before 明治", jst(1850, 1, 1), "1850年1月1日", "1850.1.1", "1850年1月1日 00:00", false},
		{"UTC converted to Tokyo", time.Date(2026, 11, 26, 5, 5, 0, 0, time.UTC), "令和8年11月26日", "R8.11.26", "令和8年11月26日 14:05", true},
		{"UTC late evening is next day", time.Date(2026, 12, 31, 20, 30, 0, 0, time.UTC), "令和9年1月1日", "R9.1.1", "令和9年1月1日 05:30", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatWareki(tt.t); got != tt.long {
				t.Errorf("FormatWareki = %q, want %q", got, tt.long)
			}
			if got := FormatWarekiShort(tt.t); got != tt.short {
				t.Errorf("FormatWarekiShort = %q, want %q", got, tt.short)
			}
			if got := FormatWarekiDateTime(tt.t); got != tt.dateTime {
				t.Errorf("FormatWarekiDateTime = %q, want %q", got, tt.dateTime)
			}
			if !tt.wantEraOK {
				return
			}
			// Both forms must parse back to the same day.
			want := jst(tt.t.In(JST).Date())
			for _, s := range []string{tt.long, tt.short} {
				got, err := ParseDate(s)
				if err != nil || !got.Equal(want) {
					t.Errorf("ParseDate(%q) = %v, %v; want %v", s, got, err, want)
				}
			}
		})
	}
}

func TestFiscalYear(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want int
	}{
		{"31 March belongs to previous year", jst(2027, 3, 31), 2026},
		{"1 April starts the year", jst(2026, 4, 1), 2026},
		{"31 March 2026", jst(2026, 3, 31), 2025},
		{"1 January", jst(2027, 1, 1), 2026},
		{"31 December", jst(2026, 12, 31), 2026},
		{"UTC 3/31 15:00 is 4/1 in Tokyo", time.Date(2026, 3, 31, 15, 0, 0, 0, time.UTC), 2026},
		{"UTC 3/31 14:59 is 3/31 in Tokyo", time.Date(2026, 3, 31, 14, 59, 0, 0, time.UTC), 2025},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FiscalYearOf(tt.t); got != tt.want {
				t.Errorf("FiscalYearOf(%v) = %d, want %d", tt.t, got, tt.want)
			}
		})
	}
}

func TestFiscalYearBounds(t *testing.T) {
	tests := []struct {
		name       string
		fy         int
		start, end time.Time
	}{
		{"2026", 2026, jst(2026, 4, 1), jst(2027, 3, 31)},
		{"leap year end irrelevant", 2023, jst(2023, 4, 1), jst(2024, 3, 31)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, e := FiscalYearStart(tt.fy), FiscalYearEnd(tt.fy)
			if !s.Equal(tt.start) || s.Location() != JST {
				t.Errorf("FiscalYearStart = %v, want %v", s, tt.start)
			}
			if !e.Equal(tt.end) {
				t.Errorf("FiscalYearEnd = %v, want %v", e, tt.end)
			}
			if FiscalYearOf(s) != tt.fy || FiscalYearOf(e) != tt.fy || FiscalYearOf(e.AddDate(0, 0, 1)) != tt.fy+1 {
				t.Errorf("bounds inconsistent with FiscalYearOf")
			}
		})
	}
}

func TestFiscalYearLabel(t *testing.T) {
	tests := []struct {
		name string
		fy   int
		want string
	}{
		{"令和8", 2026, "令和8年度"},
		{"令和元 (started 5/1)", 2019, "令和元年度"},
		{"平成30", 2018, "平成30年度"},
		{"昭和63", 1988, "昭和63年度"},
		{"平成元", 1989, "平成元年度"},
		{"大正15 (昭和 began in December)", 1926, "大正15年度"},
		{"before 明治", 1850, "1850年度"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FiscalYearLabel(tt.fy)
			if got != tt.want {
				t.Errorf("FiscalYearLabel(%d) = %q, want %q", tt.fy, got, tt.want)
			}
			if tt.fy >= 1868 {
				back, err := ParseFiscalYear(got)
				if err != nil || back != tt.fy {
					t.Errorf("ParseFiscalYear(%q) = %d, %v; want %d", got, back, err, tt.fy)
				}
			}
		})
	}
}

func TestParseFiscalYear(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr bool
	}{
		{"plain", "2026", 2026, false},
		{"with 年度", "2026年度", 2026, false},
		{"with 年", "2026年", 2026, false},
		{"era", "令和8年度", 2026, false},
		{"era without 年度", "令和8", 2026, false},
		{"initial", "R8", 2026, false},
		{"lower-case initial", "r8", 2026, false},
		{"initial with 年度", "R8年度", 2026, false},
		{"元年度", "令和元年度", 2019, false},
		{"平成31 is 2019", "平成31年度", 2019, false},
		{"H30", "H30", 2018, false},
		{"昭和", "昭和63年度", 1988, false},
		{"full-width digits", "２０２６年度", 2026, false},
		{"full-width era digits", "令和８年度", 2026, false},
		{"full-width initial", "Ｒ８", 2026, false},
		{"era ligature", "㋿8年度", 2026, false},
		{"spaces", " 令和 8 年度 ", 2026, false},
		{"FY prefix", "FY2026", 2026, false},
		{"empty", "", 0, true},
		{"garbage", "来年", 0, true},
		{"two digits", "26", 0, true},
		{"平成32 does not exist", "平成32年度", 0, true},
		{"era year 0", "令和0年度", 0, true},
		{"unknown initial", "X8", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFiscalYear(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseFiscalYear(%q) = %d, want error", tt.in, got)
				}
				if !strings.HasPrefix(err.Error(), "年度として解釈できません") {
					t.Errorf("error %q is not the Japanese message", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseFiscalYear(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    time.Time
		wantErr bool
	}{
		{"ISO", "2026-04-01", jst(2026, 4, 1), false},
		{"slashes unpadded", "2026/4/1", jst(2026, 4, 1), false},
		{"dots", "2026.4.1", jst(2026, 4, 1), false},
		{"compact", "20260401", jst(2026, 4, 1), false},
		{"kanji", "2026年4月1日", jst(2026, 4, 1), false},
		{"era kanji", "令和8年4月1日", jst(2026, 4, 1), false},
		{"era initial dots", "R8.4.1", jst(2026, 4, 1), false},
		{"era initial slashes", "R8/4/1", jst(2026, 4, 1), false},
		{"era initial padded", "R08.04.01", jst(2026, 4, 1), false},
		{"元年", "令和元年5月1日", jst(2019, 5, 1), false},
		{"平成31年4月30日", "平成31年4月30日", jst(2019, 4, 30), false},
		{"H31 after the change is still understood", "H31.5.1", jst(2019, 5, 1), false},
		{"full-width digits", "２０２６年４月１日", jst(2026, 4, 1), false},
		{"full-width ISO", "２０２６－０４－０１", jst(2026, 4, 1), false},
		{"full-width era", "令和８年４月１日", jst(2026, 4, 1), false},
		{"full-width initial", "Ｒ８．４．１", jst(2026, 4, 1), false},
		{"spaces", " 令和 8年 4月 1日 ", jst(2026, 4, 1), false},
		{"weekday", "2026年4月1日(水)", jst(2026, 4, 1), false},
		{"full-width weekday", "令和8年4月1日（水曜日）", jst(2026, 4, 1), false},
		{"Excel zero time", "2026/4/1 0:00", jst(2026, 4, 1), false},
		{"Excel zero time with seconds", "2026/04/01 00:00:00", jst(2026, 4, 1), false},
		{"leap day", "2024-02-29", jst(2024, 2, 29), false},
		{"wrong weekday", "2026年4月1日(木)", time.Time{}, true},
		{"non-zero time", "2026/4/1 10:30", time.Time{}, true},
		{"no leap day", "2026-02-29", time.Time{}, true},
		{"month 13", "2026-13-01", time.Time{}, true},
		{"day 0", "2026-04-00", time.Time{}, true},
		{"mixed separators", "2026-04/01", time.Time{}, true},
		{"before 令和 began", "令和元年4月30日", time.Time{}, true},
		{"before 平成 began", "平成元年1月7日", time.Time{}, true},
		{"平成32", "平成32年1月1日", time.Time{}, true},
		{"empty", "", time.Time{}, true},
		{"words", "明日", time.Time{}, true},
		{"two-digit year", "26/4/1", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseDate(%q) = %v, want error", tt.in, got)
				}
				want := "日付として解釈できません: " + strings.TrimSpace(tt.in)
				if err.Error() != want {
					t.Errorf("error = %q, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDate(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) || got.Location() != JST || got.Hour() != 0 {
				t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDateRoundTripEveryEraStart(t *testing.T) {
	for _, e := range eras {
		t.Run(e.name, func(t *testing.T) {
			y, m, d := e.start.year(), time.Month(int(e.start)/100%100), int(e.start)%100
			start := jst(y, m, d)
			for _, day := range []time.Time{start.AddDate(0, 0, -1), start, start.AddDate(1, 0, 0)} {
				for _, s := range []string{FormatWareki(day), FormatWarekiShort(day)} {
					got, err := ParseDate(s)
					if err != nil || !got.Equal(day) {
						t.Errorf("ParseDate(%q) = %v, %v; want %v", s, got, err, day)
					}
				}
			}
		})
	}
}
