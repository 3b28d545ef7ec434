package survey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
)

// Submission is one respondent's finished questionnaire.
type Submission struct {
	Invitation Invitation
	Campaign   Campaign
	Answers    map[string]string // checked (Form.Check)
	Source     string            // web, link, import
	Actor      auditlog.Actor
}

// Response sources.
const (
	SourceWeb    = "web"
	SourceLink   = "link"
	SourceImport = "import"
)

// Submit records a submission and returns once it is committed: the
// answers, the invitation marked answered (its draft and personal link
// gone) and the audit-log entry, in one transaction. Submissions arriving
// together are committed together (one transaction for up to maxBatch of
// them), so a whole ward answering at once costs one commit per batch
// instead of one per person. A second submission of the same invitation
// (a double click, a retry after a lost answer) changes nothing and
// returns ErrSubmitted.
func (s *Store) Submit(ctx context.Context, sub Submission) error {
	p := &pending{sub: sub, done: make(chan error, 1)}
	s.sub.add(p)
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		// The batch still commits (or not) without us; the respondent
		// who retries is told whether it did.
		return ctx.Err()
	}
}

// maxBatch is the most submissions one transaction commits.
const maxBatch = 256

type pending struct {
	sub  Submission
	done chan error
}

// committer collects submissions and commits them in batches on one
// goroutine, which runs only while there is work.
type committer struct {
	s       *Store
	mu      sync.Mutex
	queue   []*pending
	running bool
}

func newCommitter(s *Store) *committer { return &committer{s: s} }

func (c *committer) add(p *pending) {
	c.mu.Lock()
	c.queue = append(c.queue, p)
	if !c.running {
		c.running = true
		go c.run()
	}
	c.mu.Unlock()
}

func (c *committer) run() {
	for {
		c.mu.Lock()
		batch := c.queue
		if len(batch) > maxBatch {
			batch, c.queue = batch[:maxBatch:maxBatch], batch[maxBatch:]
		} else {
			c.queue = nil
		}
		if len(batch) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		results, err := c.s.commit(context.Background(), batch)
		if err != nil && len(batch) > 1 {
			// One bad submission must not fail the others: commit each alone.
			for _, p := range batch {
				r, err := c.s.commit(context.Background(), []*pending{p})
				if err == nil {
					err = r[0]
				}
				p.done <- err
			}
			continue
		}
		for i, p := range batch {
			if err != nil {
				p.done <- err
			} else {
				p.done <- results[i]
			}
		}
	}
}

// commit writes a batch in one transaction and returns each submission's
// own outcome (nil, ErrSubmitted, ErrClosed).
func (s *Store) commit(ctx context.Context, batch []*pending) ([]error, error) {
	results := make([]error, len(batch))
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		clear(results)
		today := s.today()
		// A second copy of an invitation in the batch (a double click
		// landing in the same batch) is a repeat of the first.
		first := make(map[int64]int, len(batch))
		var subs []int // batch indexes of the first copies
		for i, p := range batch {
			if _, seen := first[p.sub.Invitation.ID]; !seen {
				first[p.sub.Invitation.ID] = i
				subs = append(subs, i)
			}
		}
		var err error
		if s.db.Dialect() == database.Postgres {
			err = s.markAndInsert(ctx, batch, subs, today, results)
		} else {
			err = s.markThenInsert(ctx, batch, subs, today, results)
		}
		if err != nil {
			return err
		}
		var entries []auditlog.Pending
		for i, p := range batch {
			if f := first[p.sub.Invitation.ID]; f != i {
				if results[i] = results[f]; results[i] == nil {
					results[i] = ErrSubmitted
				}
				continue
			}
			if results[i] == nil {
				entries = append(entries, submitEntry(p.sub))
			}
		}
		return s.log.RecordBatch(ctx, entries)
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// markThenInsert is commit's work on SQLite, statement by statement (each
// one costs no round trip there): which campaigns accept answers, the
// invitations marked answered, the answers inserted. Submissions that are
// not counted get their ErrClosed or ErrSubmitted in results.
func (s *Store) markThenInsert(ctx context.Context, batch []*pending, subs []int, today time.Time, results []error) error {
	open := map[int64]bool{}
	for _, i := range subs {
		sub := batch[i].sub
		if _, seen := open[sub.Campaign.ID]; seen {
			continue
		}
		var state, closes, opens string
		if err := s.db.QueryRow(ctx, "SELECT state, opens_on, closes_on FROM survey_campaigns WHERE id = ?", sub.Campaign.ID).Scan(&state, &opens, &closes); err != nil {
			return err
		}
		c := Campaign{State: state, OpensOn: parseDate(opens), ClosesOn: parseDate(closes)}
		open[sub.Campaign.ID] = c.AcceptsOn(today) || (sub.Source == SourceImport && state != StateDraft)
	}
	// The ids the database returns are the submissions that count; an
	// id already answered is a repeat.
	var ids []int64
	for _, i := range subs {
		if !open[batch[i].sub.Campaign.ID] {
			results[i] = ErrClosed
			continue
		}
		ids = append(ids, batch[i].sub.Invitation.ID)
	}
	if len(ids) == 0 {
		return nil
	}
	in, args := s.db.InIDs("id", ids)
	marked, err := s.db.IDSet(ctx, `UPDATE survey_invitations SET submitted = TRUE, draft = '', draft_at = ''
		WHERE submitted = FALSE AND `+in+` RETURNING id`, args...)
	if err != nil {
		return err
	}
	var rows []any
	for _, i := range subs {
		sub := batch[i].sub
		if results[i] != nil {
			continue
		}
		if !marked[sub.Invitation.ID] {
			results[i] = ErrSubmitted
			continue
		}
		b, err := json.Marshal(sub.Answers)
		if err != nil {
			return err
		}
		var staff, dept any
		if id := responseStaff(sub); id != 0 {
			staff = id
		}
		if sub.Invitation.DepartmentID != 0 {
			dept = sub.Invitation.DepartmentID
		}
		rows = append(rows, sub.Campaign.ID, staff, dept, strings.Join(sub.Invitation.Audiences, ","), string(b), sub.Source, dateKey(today))
	}
	return s.db.InsertRows(ctx, "survey_responses", responseColumns, rows)
}

// markAndInsert is commit's work on PostgreSQL in one statement, since
// there every statement is a round trip to the server, and the batch's
// round trips are what a respondent waits for (each one also waits for the
// committer to be scheduled again among the requests being served): the
// campaign check, the invitations marked answered and the answers
// inserted for exactly those. It returns which submissions were counted.
func (s *Store) markAndInsert(ctx context.Context, batch []*pending, subs []int, today time.Time, results []error) error {
	n := len(subs)
	ids, camps, staff, depts := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	audiences, answers, sources := make([]string, n), make([]string, n), make([]string, n)
	for k, i := range subs {
		sub := batch[i].sub
		b, err := json.Marshal(sub.Answers)
		if err != nil {
			return err
		}
		ids[k], camps[k], staff[k], depts[k] = sub.Invitation.ID, sub.Campaign.ID, responseStaff(sub), sub.Invitation.DepartmentID
		audiences[k], answers[k], sources[k] = strings.Join(sub.Invitation.Audiences, ","), string(b), sub.Source
	}
	rows, err := s.db.Query(ctx, `WITH sub AS (
			SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[])
				AS u(invitation, campaign, staff, department, audiences, answers, source)
		), accepted AS (
			SELECT sub.* FROM sub JOIN survey_campaigns c ON c.id = sub.campaign
			WHERE (c.state = ? AND c.opens_on <= ? AND c.closes_on >= ?) OR (sub.source = ? AND c.state <> ?)
		), marked AS (
			UPDATE survey_invitations i SET submitted = TRUE, draft = '', draft_at = ''
			FROM accepted WHERE i.id = accepted.invitation AND i.submitted = FALSE RETURNING i.id
		), inserted AS (
			INSERT INTO survey_responses (campaign_id, staff_id, department_id, audiences, answers, source, submitted_on)
			SELECT a.campaign, NULLIF(a.staff, 0), NULLIF(a.department, 0), a.audiences, a.answers, a.source, ?
			FROM accepted a JOIN marked m ON m.id = a.invitation
		)
		SELECT a.invitation, m.id IS NOT NULL FROM accepted a LEFT JOIN marked m ON m.id = a.invitation`,
		ids, camps, staff, depts, audiences, answers, sources,
		StateOpen, dateKey(today), dateKey(today), SourceImport, StateDraft, dateKey(today))
	if err != nil {
		return err
	}
	defer rows.Close()
	counted := make(map[int64]bool, n)
	for rows.Next() {
		var id int64
		var ok bool
		if err := rows.Scan(&id, &ok); err != nil {
			return err
		}
		counted[id] = ok
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, i := range subs {
		ok, accepted := counted[batch[i].sub.Invitation.ID]
		switch {
		case !accepted:
			results[i] = ErrClosed
		case !ok:
			results[i] = ErrSubmitted
		}
	}
	return nil
}

// responseStaff is the staff id a response is stored with: 0 (none) when
// the campaign is anonymous.
func responseStaff(sub Submission) int64 {
	if sub.Campaign.Anonymous {
		return 0
	}
	return sub.Invitation.StaffID
}

// submitEntry is the audit-log entry of a counted submission.
func submitEntry(sub Submission) auditlog.Pending {
	detail := fmt.Sprintf("%s 回答を提出（%d 問", sub.Campaign.Code, len(sub.Answers))
	if sub.Campaign.Anonymous {
		detail += "、匿名"
	}
	if sub.Source == SourceLink {
		detail += "、個人用リンク"
	}
	if sub.Source == SourceImport {
		detail += "、紙の回答の取込み"
	}
	return auditlog.Pending{Actor: sub.Actor, Action: "survey.submit",
		Target: fmt.Sprintf("survey_campaign:%d", sub.Campaign.ID), Detail: detail + "）"}
}

var responseColumns = []string{"campaign_id", "staff_id", "department_id", "audiences", "answers", "source", "submitted_on"}

// IsRefusal reports whether err is one of the answering refusals whose
// message the respondent reads as it is.
func IsRefusal(err error) bool {
	for _, e := range []error{ErrClosed, ErrNotOpen, ErrSubmitted, ErrLink, ErrConflict} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
