package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"mamori/internal/audit"
	"mamori/internal/improve"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// demoEngagements are the demo programme's engagements by code without
// the year (IA-01 …), with their contents as the stores read them.
type demoEngagement struct {
	audit.Engagement
	items    []audit.Item
	findings []audit.Finding
}

func loadDemo(t *testing.T, s *webtest.Server) (*audit.Store, map[string]*demoEngagement) {
	t.Helper()
	ctx := t.Context()
	st := audit.NewStoreFrom(s.Deps())
	es, _, err := st.Engagements(ctx, audit.EngagementFilter{FiscalYear: s.Org.CurrentFiscalYear(ctx)})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 16 {
		t.Fatalf("demo engagements: %d, want 16", len(es))
	}
	out := map[string]*demoEngagement{}
	for _, e := range es {
		d := &demoEngagement{Engagement: e}
		if d.items, err = st.Items(ctx, e.ID, audit.ItemFilter{}); err != nil {
			t.Fatal(err)
		}
		if d.findings, err = st.Findings(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		out[e.Code[strings.IndexByte(e.Code, '-')+1:]] = d
	}
	return st, out
}

// TestDemoContentsByPhase: after the demo, each engagement has what the
// screens of its phase need — requests, answers and the questionnaire's
// state before the visit; judgements with notes, interviews and witness
// records from the visit on; findings consistent with the judgements,
// register actions, reports and follow-ups after it.
func TestDemoContentsByPhase(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) { demoContentsByPhase(t, dsn) })
}

func demoContentsByPhase(t *testing.T, dsn string) {
	s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
	ctx := t.Context()
	st, es := loadDemo(t, s)
	phaseAt := func(e *demoEngagement, p audit.Phase) bool { return e.Phase.Index() >= p.Index() }
	for key, e := range es {
		t.Run(key, func(t *testing.T) {
			plans := s.Count("SELECT COUNT(*) FROM audit_plan_versions WHERE engagement_id = ?", e.ID)
			if plans == 0 {
				t.Errorf("no plan version")
			}
			requests := s.Count("SELECT COUNT(*) FROM audit_doc_requests WHERE engagement_id = ? AND item_codes <> ''", e.ID)
			p, err := st.Presurvey(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			var questions, answered int
			for _, it := range e.items {
				if it.Presurvey {
					questions++
					if it.AnswerChoice != "" {
						answered++
						if it.Answer == "" || it.AnsweredBy == "" || it.AnsweredAt.IsZero() {
							t.Errorf("%s: answer without text, name or time: %+v", it.Code, it)
						}
					}
				}
			}
			switch {
			case e.Phase == audit.PhasePlan:
				if answered != 0 || p.State != audit.PresurveyDraft || requests != 0 {
					t.Errorf("plan phase: %d answers, state %s, %d requests", answered, p.State, requests)
				}
			case e.Phase == audit.PhasePresurvey:
				if p.State != audit.PresurveyInProgress || answered == 0 || answered == questions || requests < 3 {
					t.Errorf("presurvey phase: %d/%d answered, state %s, %d requests", answered, questions, p.State, requests)
				}
			default:
				if answered != questions || (p.State != audit.PresurveySubmitted && p.State != audit.PresurveyClosed) || requests < 3 {
					t.Errorf("%s: %d/%d answered, state %s, %d requests", e.Phase, answered, questions, p.State, requests)
				}
				if n := s.Count("SELECT COUNT(*) FROM audit_evidence WHERE engagement_id = ? AND kind = 'document' AND request_id IS NOT NULL", e.ID); n < 3 {
					t.Errorf("%d submitted documents, want 3 or more", n)
				}
				focus := 0
				for _, it := range e.items {
					if it.Focus {
						focus++
					}
				}
				if focus == 0 {
					t.Errorf("no item marked to focus on")
				}
			}
			// Fieldwork.
			judged := 0
			for _, it := range e.items {
				if it.Assessed() {
					judged++
					if it.Notes == "" || len(it.Technique) == 0 || it.UpdatedBy == "" {
						t.Errorf("%s judged %s without notes, technique or name", it.Code, it.Judgement)
					}
				}
			}
			switch {
			case !phaseAt(e, audit.PhaseFieldwork):
				if judged != 0 {
					t.Errorf("%d items judged before the visit", judged)
				}
			case e.Phase == audit.PhaseFieldwork:
				if judged == 0 || judged >= len(e.items) || e.Judged != judged {
					t.Errorf("fieldwork phase: %d of %d judged (list says %d)", judged, len(e.items), e.Judged)
				}
			default:
				if judged != len(e.items) {
					t.Errorf("%s: %d of %d judged", e.Phase, judged, len(e.items))
				}
			}
			if phaseAt(e, audit.PhaseFieldwork) {
				if n := s.Count("SELECT COUNT(*) FROM audit_interviews WHERE engagement_id = ?", e.ID); n == 0 {
					t.Errorf("no interviews")
				}
			}
			// The witness record of internal audits: every point once the
			// report is written, the visit's points before.
			if e.Kind == audit.KindInternal && phaseAt(e, audit.PhaseFieldwork) {
				n := s.Count("SELECT COUNT(*) FROM audit_witness WHERE engagement_id = ? AND rating <> ''", e.ID)
				reviewed := s.Count("SELECT COUNT(*) FROM audit_witness WHERE engagement_id = ? AND point = 'report_review' AND rating <> ''", e.ID)
				points, _ := audit.WitnessPoints()
				want := len(points) - 1 // the report's review comes with the review
				if r, _ := st.Report(ctx, e.ID); r.State != audit.ReportDraft {
					want = len(points)
				}
				if phaseAt(e, audit.PhaseReport) && (n != want || want == len(points) && reviewed != 1) || n == 0 {
					t.Errorf("witness points rated: %d of %d (report review %d)", n, want, reviewed)
				}
			}
			// Findings: consistent with the judgements, each 指摘事項 and
			// 改善提言 in the register under its department and due date.
			if !phaseAt(e, audit.PhaseReport) {
				// Before the report only the technical verification
				// proposes findings (the scan module's demo, during
				// fieldwork); the audit's own demo records none.
				own := 0
				for _, f := range e.findings {
					if !strings.HasPrefix(f.Condition, "技術的検証") {
						own++
					}
				}
				if own != 0 {
					t.Errorf("%d findings before the report phase", own)
				}
				return
			}
			if missing := audit.FindingsWithout(e.items, e.findings); len(missing) > 0 {
				t.Errorf("items judged 不適合/一部不適合 without a finding: %s", missing[0].Code)
			}
			types := map[string]int{}
			for _, f := range e.findings {
				types[f.Type]++
				if !f.Registered() {
					continue
				}
				a, err := improve.NewStore(s.Deps()).ByRef(ctx, "audit", f.Ref())
				if err != nil {
					t.Errorf("%s: no register action: %v", f.Label(), err)
					continue
				}
				if a.OwnerDepartmentID != f.DepartmentID || a.Due.IsZero() || a.Title != f.Title {
					t.Errorf("%s: register action %+v", f.Label(), a)
				}
				for _, c := range f.ItemCodes {
					ok := false
					for _, it := range e.items {
						ok = ok || it.Code == c
					}
					if !ok {
						t.Errorf("%s names %s, not in the checklist", f.Label(), c)
					}
				}
			}
			if types[audit.FindingFinding] == 0 || types[audit.FindingGood] == 0 || types[audit.FindingFinding]+types[audit.FindingRecommendation] < 3 {
				t.Errorf("finding types %v", types)
			}
			r, err := st.Report(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Summary == "" {
				t.Errorf("report without a summary")
			}
			if e.Kind.External() {
				for _, p := range r.Perspectives {
					if p.Rating == "" || len(p.Text) < 40 {
						t.Errorf("perspective %s: %q %q", p.Key, p.Rating, p.Text)
					}
				}
				if e.MyNumber && len(r.Perspectives) != 3 {
					t.Errorf("%d perspectives, want 3", len(r.Perspectives))
				}
			}
			if e.Phase == audit.PhaseFollowup {
				if r.State != audit.ReportFinal || len(r.Versions) != 1 {
					t.Errorf("follow-up phase: report %s with %d versions", r.State, len(r.Versions))
				}
				verdicts, plans := 0, 0
				for _, f := range e.findings {
					if f.Verdict != "" {
						verdicts++
					}
					if f.HasPlan() {
						plans++
					}
					if f.Verdict == audit.VerdictImproved && f.Action.Status != improve.StatusVerified {
						t.Errorf("%s improved but its action is %s", f.Label(), f.Action.Status)
					}
				}
				if verdicts == 0 || plans == 0 {
					t.Errorf("follow-up: %d plans, %d verdicts", plans, verdicts)
				}
			}
		})
	}
	// The report states across the year: two final, one in review with an
	// open comment, the rest drafts.
	states := map[string]int{}
	for _, e := range es {
		if phaseAt(e, audit.PhaseReport) {
			r, _ := st.Report(ctx, e.ID)
			states[r.State]++
			if r.State == audit.ReportReview && r.Open == 0 {
				t.Errorf("%s: report in review without an open comment", e.Code)
			}
		}
	}
	if states[audit.ReportFinal] != 2 || states[audit.ReportReview] != 1 || states[audit.ReportDraft] == 0 {
		t.Errorf("report states %v", states)
	}
}

// TestDemoPreviousYearAndWitness: departments audited last year carry
// last year's results (with the item found wanting then, and an item that
// changed); the witness ratings differ between engagements, so that the
// year's summary has something to aggregate.
func TestDemoPreviousYearAndWitness(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	st, es := loadDemo(t, s)
	e := es["IA-01"]
	changed := 0
	for _, it := range e.items {
		if it.PrevJudgement == "" && !it.Added {
			t.Fatalf("%s: no previous result", it.Code)
		}
		if it.Changed() {
			changed++
		}
		if it.Code == "IN-4.4-03" && (it.PrevJudgement != audit.JudgeNonconform || it.PrevNotes == "" || it.Judgement != audit.JudgeConform) {
			t.Errorf("IN-4.4-03: prev %s %q, now %s", it.PrevJudgement, it.PrevNotes, it.Judgement)
		}
	}
	if changed < 2 {
		t.Errorf("%d items changed from last year", changed)
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_items WHERE engagement_id = ? AND prev_judgement <> ''", es["IA-03"].ID); n != 0 {
		t.Errorf("IA-03 (not audited last year) has %d previous results", n)
	}
	sum, err := st.WitnessSummary(t.Context(), es["IA-01"].FiscalYear)
	if err != nil {
		t.Fatal(err)
	}
	fair, poor := 0, 0
	for _, p := range sum.Points {
		fair += p.Fair
		poor += p.Poor
	}
	if fair < 5 || poor < 1 {
		t.Errorf("witness summary: %d fair, %d poor ratings", fair, poor)
	}
}

// TestDemoSubmittedFiles: the submitted documents are real files,
// encrypted at rest and decrypted intact: the media ledger of 戸籍住民課
// has the three missing returns its fieldwork note speaks of, the
// training record is a PDF with the department's staff.
func TestDemoSubmittedFiles(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	st, es := loadDemo(t, s)
	ctx := t.Context()
	e := es["IA-01"]
	evs, err := st.EvidenceList(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ledger, training []byte
	for _, ev := range evs {
		_, data, err := st.EvidenceFile(ctx, e.ID, ev.ID)
		if err != nil {
			t.Fatalf("%s: %v", ev.Filename, err)
		}
		switch {
		case strings.HasPrefix(ev.Filename, "電磁的記録媒体管理簿"):
			ledger = data
		case strings.HasPrefix(ev.Filename, "研修受講記録") && strings.HasSuffix(ev.Filename, ".pdf"):
			training = data
		}
	}
	if ledger == nil || training == nil {
		t.Fatalf("files: %v", evs)
	}
	// The blob store holds ciphertext, not the file.
	if n := s.Count("SELECT COUNT(*) FROM audit_evidence v JOIN blobs b ON b.id = v.blob_id WHERE v.engagement_id = ? AND b.size <= v.size", e.ID); n != 0 {
		t.Errorf("%d blobs no larger than their plain file", n)
	}
	f, err := excelize.OpenReader(bytes.NewReader(ledger))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	lent, blankReturns := 0, 0
	returnCol := -1
	for _, r := range rows {
		for i, c := range r {
			if c == "返却日" {
				returnCol = i
			}
		}
		if returnCol >= 0 && len(r) > 2 && strings.HasPrefix(r[2], "M-") && strings.HasPrefix(r[1], "令和") {
			lent++
			if len(r) <= returnCol || r[returnCol] == "" {
				blankReturns++
			}
		}
	}
	if lent != 42 || blankReturns != 3 {
		t.Errorf("media ledger: %d loans, %d without a return date; want 42 and 3", lent, blankReturns)
	}
	text := testkit.PDFBytesText(t, training)
	if !strings.Contains(text, "受講記録") || !strings.Contains(text, "戸籍住民課") {
		t.Errorf("training PDF text: %s", testkit.Truncate(text, 300))
	}
	// The rows name the department's own staff.
	rs, err := s.DB.Query(ctx, `SELECT s.name FROM staff s JOIN departments d ON d.id = s.department_id WHERE d.parent_id = ?`, e.Targets[0].DepartmentID)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	found := 0
	for rs.Next() {
		var name string
		if err := rs.Scan(&name); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(text, strings.ReplaceAll(name, "　", " ")) || strings.Contains(text, name) {
			found++
		}
	}
	if found < 5 {
		t.Errorf("training PDF names %d of the department's staff", found)
	}
}

// TestDemoAuditListFigures: `mamori audit list --json` reports the demo's
// figures (the summary report reads the same store).
func TestDemoAuditListFigures(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	st := audit.NewStoreFrom(s.Deps())
	rows, err := st.ListSummary(context.Background(), s.Org.CurrentFiscalYear(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	var total audit.FindingCounts
	open, judged := 0, 0
	for _, r := range rows {
		total.Finding += r.Findings.Finding
		total.Recommendation += r.Findings.Recommendation
		total.Good += r.Findings.Good
		total.Observation += r.Findings.Observation
		open += r.OpenFollowups
		judged += r.Judged
	}
	b, _ := json.Marshal(total)
	if total.Finding < 10 || total.Recommendation < 5 || total.Good < 5 || total.Observation < 1 || open == 0 || judged < 1000 {
		t.Errorf("year's figures: %s, %d open follow-ups, %d judged", b, open, judged)
	}
	t.Logf("findings %s, open follow-ups %d, judged items %d", b, open, judged)
}
