package vendor

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"mamori/content"
	"mamori/internal/jp"
	"mamori/internal/module"
)

// The demo ward's reviews (content/demo/vendor_requests.yaml): four
// requests in different states — a cloud 電子申請 service approved with
// conditions, a printing contract returned for corrections, a generative-AI
// service in review, a data-entry contractor declined — replayed through
// the store on a moving clock (requested, built, answered, submitted,
// reviewed, returned or decided), dated back from the day the demo is made.

type demoRequest struct {
	Code            string `yaml:"code"`
	Department      string `yaml:"department"`
	Kind            string `yaml:"kind"`
	ServiceName     string `yaml:"service_name"`
	VendorName      string `yaml:"vendor_name"`
	Purpose         string `yaml:"purpose"`
	DataClass       string `yaml:"data_class"`
	MyNumber        bool   `yaml:"mynumber"`
	SystemWork      bool   `yaml:"system_work"`
	StorageLocation string `yaml:"storage_location"`
	Subcontractors  string `yaml:"subcontractors"`
	ContractFrom    string `yaml:"contract_from"`
	ContractTo      string `yaml:"contract_to"`
	ISMAPNumber     string `yaml:"ismap_number"`
	ISMAPExpires    string `yaml:"ismap_expires"`
	SLA             string `yaml:"sla"`
	State           string `yaml:"state"`
	Answers         map[string]struct {
		Answer string `yaml:"answer"`
		Note   string `yaml:"note"`
	} `yaml:"answers"`
	Reviews map[string]struct {
		Review   string `yaml:"review"`
		ToVendor string `yaml:"to_vendor"`
		Internal string `yaml:"internal"`
	} `yaml:"reviews"`
	Decision       string `yaml:"decision"`
	DecisionReason string `yaml:"decision_reason"`
	Conditions     []struct {
		Text    string `yaml:"text"`
		DueDays int    `yaml:"due_days"`
	} `yaml:"conditions"`
}

// demoAge is how many days before the demo each state's request was made.
var demoAge = map[string]int{"decided": 120, "returned": 45, "review": 20, "answering": 10}

// CreateDemo implements module.DemoMaker.
func (m *Module) CreateDemo(ctx context.Context, demo module.Demo) error {
	demo.Progress("委託・クラウドの審査（4件）")
	b, err := fs.ReadFile(content.FS, "demo/vendor_requests.yaml")
	if err != nil {
		return err
	}
	var f struct {
		Requests []demoRequest `yaml:"requests"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("vendor_requests.yaml: %w", err)
	}
	tree, err := m.d.Org.Departments(ctx)
	if err != nil {
		return err
	}
	for _, x := range f.Requests {
		var dept int64
		for _, d := range tree.Flat() {
			if d.Name == x.Department && d.Active {
				dept = d.ID
			}
		}
		if dept == 0 {
			return fmt.Errorf("審査 %s：所属「%s」がありません", x.Code, x.Department)
		}
		if err := m.demoRequest(ctx, x, dept); err != nil {
			return fmt.Errorf("審査 %s: %w", x.Code, err)
		}
	}
	return nil
}

func (m *Module) demoRequest(ctx context.Context, x demoRequest, dept int64) error {
	now := m.store.now()
	at := now.AddDate(0, 0, -demoAge[x.State])
	s := NewStore(module.Deps{DB: m.d.DB, Log: m.d.Log, Org: m.d.Org, Blobs: m.d.Blobs, Now: func() time.Time { return at }})
	r, err := s.Create(ctx, RequestInput{DepartmentID: dept, Kind: x.Kind, ServiceName: x.ServiceName, VendorName: x.VendorName, Purpose: x.Purpose,
		DataClass: x.DataClass, MyNumber: x.MyNumber, SystemWork: x.SystemWork, StorageLocation: x.StorageLocation, Subcontractors: x.Subcontractors,
		ContractFrom: x.ContractFrom, ContractTo: x.ContractTo, ISMAPNumber: x.ISMAPNumber, ISMAPExpires: x.ISMAPExpires, SLA: x.SLA}, "デモデータ")
	if err != nil {
		return err
	}
	if _, err := m.d.DB.Exec(ctx, "UPDATE vendor_requests SET code = ? WHERE id = ?", x.Code, r.ID); err != nil {
		return err
	}
	at = at.AddDate(0, 0, 2)
	if _, err := s.Build(ctx, r, "情報政策課"); err != nil {
		return err
	}
	if r, err = s.Get(ctx, r.ID); err != nil {
		return err
	}
	if _, _, err := s.IssueLink(ctx, r, 30, "情報政策課"); err != nil {
		return err
	}
	at = at.AddDate(0, 0, 5)
	in := map[string]AnswerInput{}
	for code, a := range x.Answers {
		in[code] = AnswerInput{Answer: a.Answer, Note: a.Note}
	}
	if _, err := s.SaveAnswers(ctx, r, in, "回答用リンク"); err != nil {
		return err
	}
	if x.State == "answering" {
		return nil
	}
	at = at.AddDate(0, 0, 1)
	if err := s.Submit(ctx, r, "回答用リンク"); err != nil {
		return err
	}
	if r, err = s.Get(ctx, r.ID); err != nil {
		return err
	}
	at = at.AddDate(0, 0, 4)
	for _, code := range slices.Sorted(func(yield func(string) bool) {
		for k := range x.Reviews {
			if !yield(k) {
				return
			}
		}
	}) {
		rv := x.Reviews[code]
		if err := s.ReviewItem(ctx, r, code, ReviewInput{Review: rv.Review, ToVendor: rv.ToVendor, Internal: rv.Internal}, "情報政策課"); err != nil {
			return fmt.Errorf("項目 %s の審査: %w", code, err)
		}
	}
	switch x.State {
	case "returned":
		return s.Return(ctx, r, "情報政策課")
	case "decided":
		at = at.AddDate(0, 0, 3)
		var lines []string
		for _, c := range x.Conditions {
			lines = append(lines, c.Text+"："+jp.DateKey(at.AddDate(0, 0, c.DueDays)))
		}
		return s.Decide(ctx, r, DecisionInput{Decision: x.Decision, Reason: x.DecisionReason, Conditions: strings.Join(lines, "\n")}, "情報政策課長")
	}
	return nil
}
