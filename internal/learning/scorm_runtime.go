package learning

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The SCORM run-time on the server: what the player's API adapter
// (static/scorm.js) commits is checked and folded into the learner's
// state, and the state says whether the course is completed.

// SCORMState is one learner's run-time data in one package.
type SCORMState struct {
	Status       string // 1.2 cmi.core.lesson_status, 2004 cmi.completion_status
	Success      string // 2004 cmi.success_status; 1.2 passed/failed from the status
	ScoreRaw     string
	ScorePercent int // -1: no score
	Location     string
	SuspendData  string
	TotalSeconds int64
	Sessions     int
	Data         map[string]string // the other cmi elements the SCO set
}

// NewSCORMState is the state before the first launch.
func NewSCORMState() SCORMState {
	return SCORMState{Status: "not attempted", Success: "unknown", ScorePercent: -1, Data: map[string]string{}}
}

// SCORMCommit is what the adapter posts: the elements set since the last
// commit, the session's time when it ends, and whether it ended.
type SCORMCommit struct {
	Values      map[string]string `json:"values"`
	SessionTime string            `json:"session_time"`
	Finish      bool              `json:"finish"`
}

// Limits of what a commit may carry.
const (
	scormMaxValues  = 4000
	scormMaxSuspend = 64000
	scormMaxData    = 512 << 10
	scormMaxKey     = 255
	scormMaxValue   = 4096 // an element other than the suspend data
)

var (
	status12   = []string{"passed", "completed", "failed", "incomplete", "browsed", "not attempted"}
	completion = []string{"completed", "incomplete", "not attempted", "unknown"}
	success    = []string{"passed", "failed", "unknown"}
	// the elements a SCO may not set (the LMS's own)
	readOnly = []string{"cmi.core.student_id", "cmi.core.student_name", "cmi.core.credit", "cmi.core.entry", "cmi.core.total_time",
		"cmi.core.lesson_mode", "cmi.launch_data", "cmi.student_data.mastery_score", "cmi.learner_id", "cmi.learner_name", "cmi.credit",
		"cmi.entry", "cmi.total_time", "cmi.mode", "cmi.completion_threshold", "cmi.scaled_passing_score", "cmi.max_time_allowed",
		"cmi.time_limit_action", "cmi.student_data.max_time_allowed", "cmi.student_data.time_limit_action", "cmi._version"}
	reKey = regexp.MustCompile(`^cmi(\.[A-Za-z_][A-Za-z0-9_]*|\.[0-9]+)+$`)
)

// Apply folds commit c into the state for a package of version v with
// mastery score mastery (-1: none). A value a SCO may not set, or one
// outside its vocabulary or size, refuses the whole commit with the
// element named (the state is unchanged).
func (st SCORMState) Apply(v string, mastery int, c SCORMCommit) (SCORMState, error) {
	if len(c.Values) > scormMaxValues {
		return st, fmt.Errorf("一度に保存できる項目は %d までです（%d 項目）", scormMaxValues, len(c.Values))
	}
	out := st
	out.Data = make(map[string]string, len(st.Data)+len(c.Values))
	for k, val := range st.Data {
		out.Data[k] = val
	}
	keys := make([]string, 0, len(c.Values))
	for k := range c.Values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		val := c.Values[k]
		if len(k) > scormMaxKey || !reKey.MatchString(k) || strings.Contains(k, "._") {
			return st, fmt.Errorf("項目名 %.60q は SCORM のデータモデルにありません", k)
		}
		if slices.Contains(readOnly, k) {
			return st, fmt.Errorf("%s は読み取り専用です", k)
		}
		limit := scormMaxValue
		if k == "cmi.suspend_data" {
			limit = scormMaxSuspend
		}
		if len(val) > limit {
			return st, fmt.Errorf("%s が長すぎます（%d バイト。上限 %d）", k, len(val), limit)
		}
		switch {
		case v == SCORM12 && k == "cmi.core.lesson_status":
			if !slices.Contains(status12, val) || val == "not attempted" {
				return st, fmt.Errorf("%s の値 %q は使えません", k, val)
			}
			out.Status = val
		case v == SCORM2004 && k == "cmi.completion_status":
			if !slices.Contains(completion, val) {
				return st, fmt.Errorf("%s の値 %q は使えません", k, val)
			}
			out.Status = val
		case v == SCORM2004 && k == "cmi.success_status":
			if !slices.Contains(success, val) {
				return st, fmt.Errorf("%s の値 %q は使えません", k, val)
			}
			out.Success = val
		case k == "cmi.core.lesson_location" || k == "cmi.location":
			out.Location = val
		case k == "cmi.suspend_data":
			out.SuspendData = val
		case k == "cmi.core.session_time" || k == "cmi.session_time":
			if _, ok := sessionSeconds(val); !ok {
				return st, fmt.Errorf("%s の値 %q は時間の書式ではありません", k, val)
			}
		case strings.HasPrefix(k, "cmi.core.score.") || strings.HasPrefix(k, "cmi.score.") || k == "cmi.progress_measure":
			f, err := strconv.ParseFloat(val, 64)
			if val != "" && (err != nil || math.IsNaN(f) || math.IsInf(f, 0)) {
				return st, fmt.Errorf("%s の値 %q は数値ではありません", k, val)
			}
			if k == "cmi.score.scaled" && (f < -1 || f > 1) || k == "cmi.progress_measure" && (f < 0 || f > 1) {
				return st, fmt.Errorf("%s の値 %q は範囲外です", k, val)
			}
			out.Data[k] = val
		default:
			out.Data[k] = val
		}
	}
	size := len(out.SuspendData)
	for k, val := range out.Data {
		size += len(k) + len(val)
	}
	if size > scormMaxData {
		return st, fmt.Errorf("学習データが大きすぎます（%d KB。上限 %d KB）", size>>10, scormMaxData>>10)
	}
	st = out
	if v == SCORM12 {
		st.ScoreRaw = st.Data["cmi.core.score.raw"]
		st.ScorePercent = scorePercent(st.ScoreRaw, "", st.Data["cmi.core.score.min"], st.Data["cmi.core.score.max"])
		// The LMS judges by the mastery score when the SCO gives a score
		// and a status that is no judgement (SCORM 1.2 RTE 3.4.4).
		if mastery >= 0 && st.ScoreRaw != "" && c.Finish && (st.Status == "completed" || st.Status == "incomplete" || st.Status == "browsed") {
			if raw, err := strconv.ParseFloat(st.ScoreRaw, 64); err == nil {
				st.Status = "failed"
				if raw >= float64(mastery) {
					st.Status = "passed"
				}
			}
		}
		switch st.Status {
		case "passed", "failed":
			st.Success = st.Status
		}
	} else {
		st.ScoreRaw = st.Data["cmi.score.raw"]
		st.ScorePercent = scorePercent(st.ScoreRaw, st.Data["cmi.score.scaled"], st.Data["cmi.score.min"], st.Data["cmi.score.max"])
	}
	if st.Status == "not attempted" && len(c.Values) > 0 {
		st.Status = "incomplete"
		if v == SCORM2004 {
			st.Status = "unknown"
		}
	}
	if c.Finish {
		secs, _ := sessionSeconds(c.SessionTime)
		st.TotalSeconds += secs
		st.Sessions++
	}
	return st, nil
}

// Completed reports whether the SCO reported the course done: 1.2 passed
// or completed; 2004 completed and not failed.
func (st SCORMState) Completed(v string) bool {
	if v == SCORM12 {
		return st.Status == "passed" || st.Status == "completed"
	}
	return st.Status == "completed" && st.Success != "failed"
}

// Exit is how the learner left the last session ("suspend" resumes).
func (st SCORMState) Exit() string {
	if e, ok := st.Data["cmi.core.exit"]; ok {
		return e
	}
	return st.Data["cmi.exit"]
}

// StatusLabel is the state in Japanese.
func (st SCORMState) StatusLabel(v string) string {
	if st.Completed(v) {
		if st.Success == "passed" {
			return "修了（合格）"
		}
		return "修了"
	}
	switch {
	case st.Success == "failed":
		return "不合格"
	case st.Status == "not attempted":
		return "未受講"
	}
	return "受講中"
}

// scorePercent is the score in percent: scaled × 100, or raw within
// min–max, or raw itself when it lies in 0–100; -1 when none.
func scorePercent(raw, scaled, lo, hi string) int {
	if f, err := strconv.ParseFloat(scaled, 64); err == nil && f >= -1 && f <= 1 {
		return int(math.Round(max(f, 0) * 100))
	}
	r, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return -1
	}
	mn, err1 := strconv.ParseFloat(lo, 64)
	mx, err2 := strconv.ParseFloat(hi, 64)
	if err1 != nil {
		mn = 0
	}
	if err2 == nil && mx > mn {
		return int(math.Round(min(max((r-mn)/(mx-mn), 0), 1) * 100))
	}
	if r >= 0 && r <= 100 {
		return int(math.Round(r))
	}
	return -1
}

var (
	reTime12   = regexp.MustCompile(`^(\d{2,4}):([0-5]?\d):([0-5]?\d)(\.\d{1,2})?$`)
	reTime2004 = regexp.MustCompile(`^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,2})?)S)?)?$`)
)

// sessionSeconds reads a session time: 1.2 CMITimespan (HHHH:MM:SS.SS),
// 2004 ISO 8601 duration (PT1H2M3.5S). Empty is zero.
func sessionSeconds(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	if m := reTime12.FindStringSubmatch(s); m != nil {
		h, _ := strconv.ParseInt(m[1], 10, 64)
		mi, _ := strconv.ParseInt(m[2], 10, 64)
		se, _ := strconv.ParseInt(m[3], 10, 64)
		return h*3600 + mi*60 + se, true
	}
	if m := reTime2004.FindStringSubmatch(s); m != nil && s != "P" && !strings.HasSuffix(s, "T") {
		n := func(i int) float64 { f, _ := strconv.ParseFloat(m[i], 64); return f }
		secs := n(1)*365*86400 + n(2)*30*86400 + n(3)*86400 + n(4)*3600 + n(5)*60 + n(6)
		return int64(min(secs, 1e9)), true
	}
	return 0, false
}

// DurationLabel is seconds as 「1時間2分」.
func DurationLabel(secs int64) string {
	if secs < 60 {
		return fmt.Sprintf("%d秒", secs)
	}
	h, m := secs/3600, secs%3600/60
	if h == 0 {
		return fmt.Sprintf("%d分", m)
	}
	return fmt.Sprintf("%d時間%d分", h, m)
}
