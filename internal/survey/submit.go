package survey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

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
		for i := range results {
			results[i] = nil
		}
		today := s.today()
		// Which campaigns accept answers now, read once each.
		open := map[int64]bool{}
		for _, p := range batch {
			sub := p.sub
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
		// Mark the invitations answered, a few hundred per statement: the
		// ids the database returns are the submissions that count; an id
		// already answered (or sent twice in this batch) is a repeat.
		var ids []any
		for i, p := range batch {
			if !open[p.sub.Campaign.ID] {
				results[i] = ErrClosed
				continue
			}
			ids = append(ids, p.sub.Invitation.ID)
		}
		marked := map[int64]bool{}
		if len(ids) > 0 {
			rows, err := s.db.Query(ctx, `UPDATE survey_invitations SET submitted = TRUE, draft = '', draft_at = ''
				WHERE submitted = FALSE AND id IN (`+database.Placeholders(len(ids))+`) RETURNING id`, ids...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				marked[id] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		var entries []auditlog.Pending
		var args []any
		for i, p := range batch {
			sub := p.sub
			if results[i] != nil {
				continue
			}
			if !marked[sub.Invitation.ID] {
				results[i] = ErrSubmitted
				continue
			}
			delete(marked, sub.Invitation.ID) // a second copy in this batch is a repeat
			b, err := json.Marshal(sub.Answers)
			if err != nil {
				return err
			}
			var staff, dept any
			if !sub.Campaign.Anonymous {
				staff = sub.Invitation.StaffID
			}
			if sub.Invitation.DepartmentID != 0 {
				dept = sub.Invitation.DepartmentID
			}
			args = append(args, sub.Campaign.ID, staff, dept, strings.Join(sub.Invitation.Audiences, ","), string(b), sub.Source, dateKey(today))
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
			entries = append(entries, auditlog.Pending{Actor: sub.Actor, Action: "survey.submit",
				Target: fmt.Sprintf("survey_campaign:%d", sub.Campaign.ID), Detail: detail + "）"})
		}
		if err := s.db.InsertRows(ctx, "survey_responses", responseColumns, args); err != nil {
			return err
		}
		return s.log.RecordBatch(ctx, entries)
	})
	if err != nil {
		return nil, err
	}
	return results, nil
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
