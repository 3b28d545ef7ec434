package survey

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/mail"
	"mamori/internal/org"
)

// The store's side of distribution: the campaign list with counts, the
// response rate by department, audience and day, the non-respondents,
// reminders and personal links in batches.

// Tally is a count of the people asked and of those who answered.
type Tally struct{ Invited, Answered int }

// Rate is the response rate (0–1).
func (t Tally) Rate() float64 {
	if t.Invited == 0 {
		return 0
	}
	return float64(t.Answered) / float64(t.Invited)
}

// Percent is the rate as a page prints it: 「82.4%」, 「—」 with nobody asked.
func (t Tally) Percent() string {
	if t.Invited == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100*t.Rate())
}

// Pending is the number of people who have not answered.
func (t Tally) Pending() int { return t.Invited - t.Answered }

func (t *Tally) add(o Tally) { t.Invited += o.Invited; t.Answered += o.Answered }

// CampaignRow is one campaign of the list, with the counts the reader
// may see: the whole campaign's, or a 所属長's sub-tree's.
type CampaignRow struct {
	Campaign
	Counts Tally
}

// CampaignFilter selects the campaigns of the list.
type CampaignFilter struct {
	FiscalYear int    // 0: every year
	State      string // "": every state
	Words      []string
	// Root limits the list to the campaigns that include department Root
	// (or part of its sub-tree), with the counts of that sub-tree only,
	// and leaves out campaigns in preparation: a 所属長's view. 0: the
	// whole ward.
	Root int64
	Sort string // code (default), title, period, rate
	Desc bool
}

// ListCampaigns lists the campaigns for the list screen and its export.
// Campaigns are few (a handful a year), so they are filtered and sorted
// here and the handler pages them.
func (s *Store) ListCampaigns(ctx context.Context, f CampaignFilter) ([]CampaignRow, error) {
	cs, err := s.Campaigns(ctx, f.FiscalYear)
	if err != nil {
		return nil, fmt.Errorf("survey.ListCampaigns: %w", err)
	}
	targets, err := s.campaignTargets(ctx)
	if err != nil {
		return nil, err
	}
	var tree *org.Tree
	var sub map[int64]Tally
	if f.Root != 0 {
		if tree, err = s.org.Departments(ctx); err != nil {
			return nil, err
		}
		if sub, err = s.subtreeCounts(ctx, tree.Subtree(f.Root)); err != nil {
			return nil, err
		}
	}
	var out []CampaignRow
	for _, c := range cs {
		c.Departments = targets[c.ID]
		if f.State != "" && c.State != f.State {
			continue
		}
		if len(f.Words) > 0 && !jp.MatchWords(jp.SearchText(c.Code, c.Title, c.AudienceLabels()), f.Words) {
			continue
		}
		row := CampaignRow{Campaign: c, Counts: Tally{c.Invited, c.Answered}}
		if f.Root != 0 {
			if c.State == StateDraft || !Covers(c, tree, f.Root) {
				continue
			}
			row.Counts = sub[c.ID]
		}
		out = append(out, row)
	}
	sortCampaigns(out, f.Sort, f.Desc)
	return out, nil
}

func sortCampaigns(rows []CampaignRow, key string, desc bool) {
	slices.SortStableFunc(rows, func(a, b CampaignRow) int {
		var c int
		switch key {
		case "title":
			c = cmp.Compare(jp.Fold(a.Title), jp.Fold(b.Title))
		case "period":
			c = a.OpensOn.Compare(b.OpensOn)
			if c == 0 {
				c = a.ClosesOn.Compare(b.ClosesOn)
			}
		case "rate":
			c = cmp.Compare(a.Counts.Rate(), b.Counts.Rate())
		}
		if c == 0 {
			c = cmp.Compare(a.Code, b.Code)
		}
		if desc {
			return -c
		}
		return c
	})
}

// campaignTargets is every campaign's target departments.
func (s *Store) campaignTargets(ctx context.Context) (map[int64][]int64, error) {
	rows, err := s.db.Query(ctx, "SELECT campaign_id, department_id FROM survey_campaign_departments ORDER BY campaign_id, department_id")
	if err != nil {
		return nil, fmt.Errorf("survey.campaignTargets: %w", err)
	}
	defer rows.Close()
	out := map[int64][]int64{}
	for rows.Next() {
		var c, d int64
		if err := rows.Scan(&c, &d); err != nil {
			return nil, err
		}
		out[c] = append(out[c], d)
	}
	return out, rows.Err()
}

// subtreeCounts is every campaign's counts among the invitations of
// departments depts.
func (s *Store) subtreeCounts(ctx context.Context, depts []int64) (map[int64]Tally, error) {
	out := map[int64]Tally{}
	if len(depts) == 0 {
		return out, nil
	}
	args := make([]any, len(depts))
	for i, d := range depts {
		args[i] = d
	}
	rows, err := s.db.Query(ctx, `SELECT campaign_id, COUNT(*), SUM(CASE WHEN submitted THEN 1 ELSE 0 END) FROM survey_invitations
		WHERE department_id IN (`+database.Placeholders(len(depts))+`) GROUP BY campaign_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("survey.subtreeCounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var t Tally
		if err := rows.Scan(&id, &t.Invited, &t.Answered); err != nil {
			return nil, err
		}
		out[id] = t
	}
	return out, rows.Err()
}

// Covers reports whether campaign c is sent to department root or to part
// of its sub-tree (a 所属長 sees such a campaign, with their sub-tree's
// counts). c.Departments must be loaded.
func Covers(c Campaign, tree *org.Tree, root int64) bool {
	if root == 0 || tree.ByID[root] == nil {
		return false
	}
	if len(c.Departments) == 0 {
		return true
	}
	below := tree.Subtree(root)
	for _, t := range c.Departments {
		if slices.Contains(tree.Subtree(t), root) || slices.Contains(below, t) {
			return true
		}
	}
	return false
}

// DeptTally is one row of the response rate by department: a department
// with the counts of its whole sub-tree.
type DeptTally struct {
	ID    int64
	Name  string
	Path  string
	Depth int // below the table's top department (0: the top)
	Tally
	Own int // invited in the department itself (not below it)
}

// AudienceTally is the response rate of one audience's questionnaire
// (a person asked two questionnaires counts in both).
type AudienceTally struct {
	Audience string
	Tally
}

// Label names the audience.
func (a AudienceTally) Label() string { return AudienceLabel(a.Audience) }

// DayCount is the responses of one day, with the running total.
type DayCount struct {
	Day        time.Time
	N          int
	Cumulative int
	Rate       float64 // the running total over the people asked
}

// Percent is the running rate as a page prints it.
func (d DayCount) Percent() string { return fmt.Sprintf("%.1f%%", 100*d.Rate) }

// Progress is a campaign's response rate as one reader may see it: the
// whole ward, or a 所属長's sub-tree.
type Progress struct {
	Root      int64 // 0: the whole ward
	Total     Tally
	Depts     []DeptTally // in the order of the department tree
	Audiences []AudienceTally
	Days      []DayCount
}

// Progress counts campaign c's invitations and responses now, for the
// whole ward (root 0) or the sub-tree of department root. Rates are no
// answers: a department with few people is shown like any other.
func (s *Store) Progress(ctx context.Context, c Campaign, root int64) (Progress, error) {
	p := Progress{Root: root}
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return p, err
	}
	var in map[int64]bool
	if root != 0 {
		in = map[int64]bool{}
		for _, d := range tree.Subtree(root) {
			in[d] = true
		}
	}
	rows, err := s.db.Query(ctx, `SELECT COALESCE(department_id, 0), audiences, COUNT(*), SUM(CASE WHEN submitted THEN 1 ELSE 0 END)
		FROM survey_invitations WHERE campaign_id = ? GROUP BY department_id, audiences`, c.ID)
	if err != nil {
		return p, fmt.Errorf("survey.Progress: %w", err)
	}
	own := map[int64]Tally{}
	auds := map[string]Tally{}
	for rows.Next() {
		var d int64
		var a string
		var t Tally
		if err := rows.Scan(&d, &a, &t.Invited, &t.Answered); err != nil {
			rows.Close()
			return p, err
		}
		if in != nil && !in[d] {
			continue
		}
		o := own[d]
		o.add(t)
		own[d] = o
		for _, x := range split(a, ",") {
			at := auds[x]
			at.add(t)
			auds[x] = at
		}
		p.Total.add(t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return p, err
	}
	for _, a := range AudienceOrder {
		if t, ok := auds[a]; ok {
			p.Audiences = append(p.Audiences, AudienceTally{a, t})
		}
	}
	// Each department with the sum of its sub-tree, in tree order; the
	// departments nobody was asked in are left out.
	var walk func(d *org.Department, depth int) Tally
	walk = func(d *org.Department, depth int) Tally {
		i := len(p.Depts)
		p.Depts = append(p.Depts, DeptTally{ID: d.ID, Name: d.Name, Path: d.Path, Depth: depth, Own: own[d.ID].Invited})
		sum := own[d.ID]
		for _, ch := range d.Children {
			sum.add(walk(ch, depth+1))
		}
		if sum.Invited == 0 {
			p.Depts = p.Depts[:i]
			return sum
		}
		p.Depts[i].Tally = sum
		return sum
	}
	if root != 0 {
		if d := tree.ByID[root]; d != nil {
			walk(d, 0)
		}
	} else {
		for _, d := range tree.Roots {
			walk(d, 0)
		}
		if t := own[0]; t.Invited > 0 {
			p.Depts = append(p.Depts, DeptTally{Name: "（所属なし）", Path: "（所属なし）", Tally: t, Own: t.Invited})
		}
	}
	days, err := s.db.Query(ctx, `SELECT submitted_on, COALESCE(department_id, 0), COUNT(*) FROM survey_responses WHERE campaign_id = ?
		GROUP BY submitted_on, department_id ORDER BY submitted_on`, c.ID)
	if err != nil {
		return p, fmt.Errorf("survey.Progress: %w", err)
	}
	defer days.Close()
	by := map[string]int{}
	var keys []string
	for days.Next() {
		var day string
		var d int64
		var n int
		if err := days.Scan(&day, &d, &n); err != nil {
			return p, err
		}
		if in != nil && !in[d] {
			continue
		}
		if _, ok := by[day]; !ok {
			keys = append(keys, day)
		}
		by[day] += n
	}
	if err := days.Err(); err != nil {
		return p, err
	}
	slices.Sort(keys)
	run := 0
	for _, k := range keys {
		run += by[k]
		dc := DayCount{Day: parseDate(k), N: by[k], Cumulative: run}
		if p.Total.Invited > 0 {
			dc.Rate = float64(run) / float64(p.Total.Invited)
		}
		p.Days = append(p.Days, dc)
	}
	return p, nil
}

// Unanswered is one person who has not answered a campaign, with what the
// roster says of them.
type Unanswered struct {
	InvitationID int64
	StaffID      int64
	DepartmentID int64
	Audiences    []string
	EmployeeNo   string
	Name         string
	Kana         string
	Department   string // the department's path
	Started      bool   // has a saved draft
	RemindedAt   time.Time
	LinkExpires  time.Time // a personal link was issued, valid until then
	HasAccount   bool
	InRoster     bool // false: no longer on the roster (retired or moved away since the campaign opened)
}

// AudienceLabels names the person's questionnaires.
func (u Unanswered) AudienceLabels() string { return audienceLabels(u.Audiences) }

// LinkValid reports whether the person holds a personal link that has not
// expired at now.
func (u Unanswered) LinkValid(now time.Time) bool {
	return !u.LinkExpires.IsZero() && now.Before(u.LinkExpires)
}

// UnansweredOf lists the people asked to answer campaign id who have not,
// in the departments depts (nil: every department), in the order of the
// department tree and the roster. For an anonymous campaign too: whether
// a person answered is no answer.
func (s *Store) UnansweredOf(ctx context.Context, id int64, depts []int64) ([]Unanswered, error) {
	rows, err := s.db.Query(ctx, `SELECT id, staff_id, COALESCE(department_id, 0), audiences, draft, reminded_at, token_expires
		FROM survey_invitations WHERE campaign_id = ? AND submitted = FALSE ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("survey.UnansweredOf: %w", err)
	}
	var in map[int64]bool
	if depts != nil {
		in = map[int64]bool{}
		for _, d := range depts {
			in[d] = true
		}
	}
	var out []Unanswered
	for rows.Next() {
		var u Unanswered
		var auds, draft, reminded, expires string
		if err := rows.Scan(&u.InvitationID, &u.StaffID, &u.DepartmentID, &auds, &draft, &reminded, &expires); err != nil {
			rows.Close()
			return nil, err
		}
		if in != nil && !in[u.DepartmentID] {
			continue
		}
		u.Audiences, u.Started = split(auds, ","), draft != "" && draft != "{}"
		u.RemindedAt, _ = time.Parse(time.RFC3339, reminded)
		u.LinkExpires, _ = time.Parse(time.RFC3339, expires)
		out = append(out, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	var ds []int64
	for _, u := range out {
		ds = append(ds, u.DepartmentID)
	}
	idx, err := s.rosterOf(ctx, tree, ds)
	if err != nil {
		return nil, err
	}
	var missing []int64
	for _, u := range out {
		if _, ok := idx.byID[u.StaffID]; !ok {
			missing = append(missing, u.StaffID)
		}
	}
	if len(missing) > 0 {
		// Moved to another department since the campaign opened: look
		// through the whole roster once.
		var all []int64
		for _, d := range tree.Flat() {
			all = append(all, d.ID)
		}
		if idx, err = s.rosterOf(ctx, tree, all); err != nil {
			return nil, err
		}
	}
	accounts, err := s.org.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	withAccount := map[int64]bool{}
	for _, a := range accounts {
		if a.StaffID != 0 && !a.Disabled {
			withAccount[a.StaffID] = true
		}
	}
	order := map[int64]int{}
	for i, d := range tree.Flat() {
		order[d.ID] = i
	}
	for i := range out {
		u := &out[i]
		if d := tree.ByID[u.DepartmentID]; d != nil {
			u.Department = d.Path
		}
		if p, ok := idx.byID[u.StaffID]; ok {
			u.EmployeeNo, u.Name, u.Kana, u.InRoster = p.EmployeeNo, p.Name, p.Kana, true
		}
		u.HasAccount = withAccount[u.StaffID]
	}
	slices.SortStableFunc(out, func(a, b Unanswered) int {
		if c := cmp.Compare(order[a.DepartmentID], order[b.DepartmentID]); c != 0 {
			return c
		}
		return cmp.Compare(idx.pos[a.StaffID], idx.pos[b.StaffID])
	})
	return out, nil
}

// staffIndex is part of the roster by id and by employee number, read
// department by department through the organisation's read API.
type staffIndex struct {
	byID map[int64]org.Staff
	byNo map[string]org.Staff // by jp.Normalize(employee number)
	pos  map[int64]int        // roster order
}

// rosterOf reads the active staff of departments depts.
func (s *Store) rosterOf(ctx context.Context, tree *org.Tree, depts []int64) (*staffIndex, error) {
	idx := &staffIndex{byID: map[int64]org.Staff{}, byNo: map[string]org.Staff{}, pos: map[int64]int{}}
	seen := map[int64]bool{}
	for _, d := range depts {
		if seen[d] || tree.ByID[d] == nil {
			continue
		}
		seen[d] = true
		staff, err := s.org.StaffInDepartment(ctx, d)
		if err != nil {
			return nil, err
		}
		for _, p := range staff {
			idx.pos[p.ID] = len(idx.pos)
			idx.byID[p.ID] = p
			if no := jp.Normalize(p.EmployeeNo); no != "" {
				idx.byNo[no] = p
			}
		}
	}
	return idx, nil
}

// Remind marks the unanswered invitations of campaign c — in the sub-tree
// of department dept, or all of them (dept 0) — as reminded now, and
// records it. Respondents see the reminder on their self-assessment page,
// and by mail too when mail is configured and the roster has their
// address. It returns how many people were reminded.
func (s *Store) Remind(ctx context.Context, c Campaign, dept int64) (int, error) {
	if !c.AcceptsOn(s.today()) {
		return 0, FieldErrors{"state": "回答を受け付けている期間の自己点検だけ催促できます。"}
	}
	n := 0
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		at := s.now().UTC().Format(time.RFC3339)
		q := "UPDATE survey_invitations SET reminded_at = ? WHERE campaign_id = ? AND submitted = FALSE"
		args := []any{at, c.ID}
		where := "全体"
		if dept != 0 {
			tree, err := s.org.Departments(ctx)
			if err != nil {
				return err
			}
			d := tree.ByID[dept]
			if d == nil {
				return FieldErrors{"department": "所属を一覧から選んでください。"}
			}
			ids := tree.Subtree(dept)
			q += " AND department_id IN (" + database.Placeholders(len(ids)) + ")"
			for _, id := range ids {
				args = append(args, id)
			}
			where = d.Path
		}
		res, err := s.db.Exec(ctx, q, args...)
		if err != nil {
			return err
		}
		m, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n = int(m); n == 0 {
			return nil
		}
		how := "画面上の表示のみ"
		if mailed, err := s.mailReminders(ctx, c, at); err != nil {
			return err
		} else if s.mail.Enabled() {
			how = fmt.Sprintf("画面上の表示とメール %d 通", mailed)
		}
		return s.log.Record(ctx, "survey.remind", fmt.Sprintf("survey_campaign:%d", c.ID),
			fmt.Sprintf("%s 未回答者に催促（%s、%d 人。%s）", c.Code, where, n, how))
	})
	return n, err
}

// Reminder is a nudge a respondent sees on their self-assessment page: an
// open campaign they have not answered, and when they were reminded.
type Reminder struct {
	CampaignID int64
	Title      string
	ClosesOn   time.Time
	RemindedAt time.Time
}

// RemindersFor lists the reminders of the person staffID: open campaigns
// they were reminded to answer and have not, newest first.
func (s *Store) RemindersFor(ctx context.Context, staffID int64) ([]Reminder, error) {
	if staffID == 0 {
		return nil, nil
	}
	rows, err := s.db.Query(ctx, `SELECT c.id, c.title, c.closes_on, i.reminded_at FROM survey_invitations i
		JOIN survey_campaigns c ON c.id = i.campaign_id
		WHERE i.staff_id = ? AND i.submitted = FALSE AND i.reminded_at <> '' AND c.state = 'open' ORDER BY c.id DESC`, staffID)
	if err != nil {
		return nil, fmt.Errorf("survey.RemindersFor: %w", err)
	}
	defer rows.Close()
	today := s.today()
	var out []Reminder
	for rows.Next() {
		var r Reminder
		var closes, at string
		if err := rows.Scan(&r.CampaignID, &r.Title, &closes, &at); err != nil {
			return nil, err
		}
		r.ClosesOn = parseDate(closes)
		r.RemindedAt, _ = time.Parse(time.RFC3339, at)
		if r.ClosesOn.Before(today) {
			continue
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// IssuedLink is a personal link just made, to print once: the token is
// kept only as its hash.
type IssuedLink struct {
	Person  Unanswered
	Token   string
	Expires time.Time
	Mailed  bool // also sent by mail to the roster's address
}

// IssueLinks makes personal links for people (unanswered invitations of
// campaign c) in one transaction: each through IssueLink (a new link
// replaces an old one), and one audit entry for the batch naming what it
// was for (scope).
func (s *Store) IssueLinks(ctx context.Context, c Campaign, people []Unanswered, scope string) ([]IssuedLink, error) {
	if len(people) == 0 {
		return nil, FieldErrors{"people": "個人用リンクを発行する未回答者がいません。"}
	}
	if c.State != StateOpen {
		return nil, FieldErrors{"state": "回答受付中の自己点検だけ個人用リンクを発行できます。"}
	}
	var out []IssuedLink
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		out = out[:0]
		for _, p := range people {
			tok, err := s.IssueLink(ctx, p.InvitationID)
			if errors.Is(err, ErrSubmitted) {
				continue // answered in the meantime: no slip
			}
			if err != nil {
				return fmt.Errorf("%s（%s）: %w", p.Name, p.EmployeeNo, err)
			}
			out = append(out, IssuedLink{Person: p, Token: tok, Expires: LinkExpiry(c)})
		}
		if len(out) == 0 {
			return FieldErrors{"people": "選んだ人はすでに回答を提出しています。個人用リンクは発行していません。"}
		}
		mailed, err := s.mailLinks(ctx, c, out)
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("%s 個人用リンクを %d 人分発行（%s）", c.Code, len(out), scope)
		if mailed > 0 {
			detail += fmt.Sprintf("、うち %d 人にはメールでも送付", mailed)
		}
		return s.log.Record(ctx, "survey.links_issue", fmt.Sprintf("survey_campaign:%d", c.ID), detail)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// mailLinks queues each new personal link by mail to its person when the
// roster has their address and mail is configured, marking the links
// mailed; it returns how many. The token exists only now (it is stored as
// its hash), so this is the one moment it can be sent.
func (s *Store) mailLinks(ctx context.Context, c Campaign, links []IssuedLink) (int, error) {
	if !s.mail.Enabled() {
		return 0, nil
	}
	ward, n := s.org.WardName(ctx), 0
	for i, l := range links {
		var addr string
		if err := s.db.QueryRow(ctx, "SELECT email FROM staff WHERE id = ?", l.Person.StaffID).Scan(&addr); err != nil || addr == "" {
			continue
		}
		ok, err := s.mail.Enqueue(ctx, mail.Message{To: addr, ToName: l.Person.Name, Kind: "link", Ref: fmt.Sprintf("survey_campaign:%d", c.ID),
			Subject: "【自己点検】" + c.Title + " の回答用リンク",
			Body: fmt.Sprintf("%s 様\n\n%s への回答をお願いします。次のリンクから、ログインせずに回答できます（あなた専用です。ほかの人に転送しないでください）。\n\n%s\n\nリンクの有効期限: %s まで（回答の期限の日の終わり）\n一度提出すると、このリンクは使えなくなります。\n\n%s 情報セキュリティ担当\n",
				l.Person.Name, c.Title, s.mail.Link("/selfcheck/r/"+l.Token), jp.FormatWareki(c.ClosesOn), ward)})
		if err != nil {
			return n, err
		}
		if ok {
			links[i].Mailed = true
			n++
		}
	}
	return n, nil
}

// LinkExpiry is when the personal links of campaign c stop working: the
// end of its closing day, Japan time (as IssueLink sets it).
func LinkExpiry(c Campaign) time.Time {
	return time.Date(c.ClosesOn.Year(), c.ClosesOn.Month(), c.ClosesOn.Day()+1, 0, 0, 0, 0, jp.JST)
}

// ResponseStamp identifies the state of campaign id's responses: an
// import preview carries it, and the import is refused when it changed.
func (s *Store) ResponseStamp(ctx context.Context, id int64) (string, error) {
	var n, last int64
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM survey_responses WHERE campaign_id = ?", id).Scan(&n, &last); err != nil {
		return "", fmt.Errorf("survey.ResponseStamp: %w", err)
	}
	return fmt.Sprintf("%d-%d", n, last), nil
}

// deptLabel names department id as lists print it.
func deptLabel(tree *org.Tree, id int64) string {
	if d := tree.ByID[id]; d != nil {
		return d.Path
	}
	return "（所属なし）"
}

// targetLabel names a campaign's target departments: 「全庁」 or their paths.
func targetLabel(tree *org.Tree, c Campaign) string {
	if len(c.Departments) == 0 {
		return "全庁"
	}
	var names []string
	for _, d := range c.Departments {
		names = append(names, deptLabel(tree, d))
	}
	return strings.Join(names, "、")
}

// mailReminders queues the reminder by mail to everyone of campaign c
// reminded at at who has an address in the roster; it returns how many.
func (s *Store) mailReminders(ctx context.Context, c Campaign, at string) (int, error) {
	if !s.mail.Enabled() {
		return 0, nil
	}
	rows, err := s.db.Query(ctx, `SELECT i.id, st.email, st.name FROM survey_invitations i JOIN staff st ON st.id = i.staff_id
		WHERE i.campaign_id = ? AND i.submitted = FALSE AND i.reminded_at = ? AND st.email <> ''`, c.ID, at)
	if err != nil {
		return 0, err
	}
	type to struct {
		id         int64
		addr, name string
	}
	var tos []to
	for rows.Next() {
		var t to
		if err := rows.Scan(&t.id, &t.addr, &t.name); err != nil {
			rows.Close()
			return 0, err
		}
		tos = append(tos, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	ward, n := s.org.WardName(ctx), 0
	for _, t := range tos {
		ok, err := s.mail.Enqueue(ctx, mail.Message{To: t.addr, ToName: t.name, Kind: "reminder", Ref: fmt.Sprintf("survey_campaign:%d", c.ID),
			Key:     fmt.Sprintf("survey-remind:%d:%s", t.id, at),
			Subject: "【自己点検】" + c.Title + " への回答をお願いします",
			Body: fmt.Sprintf("%s 様\n\n%s への回答をお願いします（回答の期限 %s）。\n\nMamori にログインし、「自己点検」から回答してください。\n%s\n\n%s 情報セキュリティ担当\n",
				t.name, c.Title, jp.FormatWareki(c.ClosesOn), s.mail.Link("/selfcheck"), ward)})
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}
