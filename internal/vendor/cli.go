package vendor

// The module's sub-commands: `mamori vendor list` and the exports.

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/module"
)

const vendorUsage = `vendor list [--year 2026] [--json]
                           委託・クラウドの審査の一覧（番号・サービス・事業者・所属・状況・決定・次回の再審査・ISMAP の期限）を表示します`

const exportUsage = `export vendor-questionnaire|vendor-review --request CODE --format pdf|docx|xlsx -o FILE
                           委託・クラウドの審査の確認事項（調査票）・審査結果を出力します`

// Commands implements module.Commander.
func (m *Module) Commands() []module.Command {
	return []module.Command{
		module.ListCommand{Name: "vendor", Usage: vendorUsage, What: "委託・クラウドの審査", Rows: listRows}.Command(),
		exportCommand("vendor-questionnaire", "確認事項", exportUsage, (*Record).QuestionnaireDocument).Command(),
		exportCommand("vendor-review", "審査結果", "", (*Record).ReviewDocument).Command(),
	}
}

// ListRow is one request of `mamori vendor list`.
type ListRow struct {
	Code         string      `json:"code"`
	FiscalYear   int         `json:"fiscal_year"`
	Kind         string      `json:"kind"`
	Service      string      `json:"service"`
	Vendor       string      `json:"vendor"`
	Department   string      `json:"department"`
	State        string      `json:"state"`
	StateLabel   string      `json:"state_label"`
	Decision     string      `json:"decision"`
	Conditions   []Condition `json:"conditions"`
	Items        int         `json:"items"`
	Answered     int         `json:"answered"`
	Submissions  int         `json:"submissions"`
	NextReviewOn *time.Time  `json:"next_review_on"`
	ISMAPExpires *time.Time  `json:"ismap_expires"`
}

func datePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func listRows(ctx context.Context, d module.Deps, fy int) (any, [][]string, error) {
	s := NewStore(d)
	rs, err := s.Requests(ctx, fy)
	if err != nil {
		return nil, nil, err
	}
	rows := []ListRow{}
	table := [][]string{{"番号", "サービス・契約", "事業者", "所属", "状況", "決定", "回答", "次回の再審査", "ISMAP の期限"}}
	for _, r := range rs {
		rec, err := s.RecordOf(ctx, r)
		if err != nil {
			return nil, nil, err
		}
		answered := 0
		for _, i := range rec.Items {
			if i.Answer != "" {
				answered++
			}
		}
		rows = append(rows, ListRow{Code: r.Code, FiscalYear: r.FiscalYear, Kind: r.Kind, Service: r.ServiceName, Vendor: r.VendorName, Department: r.Department,
			State: string(r.State), StateLabel: r.State.Label(), Decision: r.Decision, Conditions: append([]Condition{}, rec.Conds...), Items: len(rec.Items),
			Answered: answered, Submissions: len(rec.Subs), NextReviewOn: datePtr(r.NextReviewOn), ISMAPExpires: datePtr(r.ISMAPExpires)})
		table = append(table, []string{r.Code, r.ServiceName, r.VendorName, r.Department, r.State.Label(), or(r.DecisionLabel(), "—"),
			fmt.Sprintf("%d/%d", answered, len(rec.Items)), wareki(r.NextReviewOn), wareki(r.ISMAPExpires)})
	}
	return rows, table, nil
}

func exportCommand(name, label, usage string, build func(*Record, string, time.Time) *docgen.Document) module.ExportCommand {
	var code *string
	return module.ExportCommand{Name: name, Usage: usage, Label: label, Formats: []string{"pdf", "docx", "xlsx"}, Synopsis: "--request CODE",
		Flags: func(fs *flag.FlagSet) {
			code = fs.String("request", "", "審査の番号（例: VR-R8-001。mamori vendor list で確認できます）")
		},
		Ready: func() bool { return *code != "" },
		Build: func(ctx context.Context, d module.Deps) (*docgen.Document, string, string, string, error) {
			s := NewStore(d)
			r, err := s.ByCode(ctx, strings.TrimSpace(*code))
			if err != nil {
				return nil, "", "", "", fmt.Errorf("審査「%s」はありません（mamori vendor list で確認してください）", *code)
			}
			rec, err := s.RecordOf(ctx, r)
			if err != nil {
				return nil, "", "", "", err
			}
			return build(rec, d.Org.WardName(ctx), s.now()), label, fmt.Sprintf("vendor_request:%d", r.ID), fmt.Sprintf("%s の%s", r.Code, label), nil
		}}
}
