package module

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"mamori/internal/jp"
)

// ListCommand is the `mamori NAME list [--year 2026] [--json]` sub-command
// every workstream offers: fiscal year fy's rows (0: every year) as JSON,
// or as aligned columns.
type ListCommand struct {
	Name  string // the sub-command, e.g. "incident"
	Usage string // the usage lines (Command.Usage)
	What  string // what a row is, e.g. 「インシデント」: the synopsis and the empty message
	// Rows returns the rows for JSON (a slice, never nil) and the same
	// rows as a table whose first line is the heading.
	Rows func(ctx context.Context, d Deps, fy int) (rows any, table [][]string, err error)
}

// Command is the sub-command.
func (lc ListCommand) Command() Command { return Command{Name: lc.Name, Usage: lc.Usage, Run: lc.run} }

func (lc ListCommand) run(ctx context.Context, cli *CLI, args []string) error {
	if len(args) == 0 || args[0] != "list" {
		fmt.Fprintln(cli.Stderr, "使い方: mamori "+strings.ReplaceAll(lc.Usage, "\n", "\n       "))
		return ExitCode(2)
	}
	var year *string
	var asJSON *bool
	return cli.Data(ctx, args[1:], DataCommand{Name: lc.Name + " list",
		Synopsis: lc.Name + " list [--year 2026] [--json] [--db …] [--data DIR]\n" + lc.What + "の一覧を表示します",
		Flags: func(fs *flag.FlagSet) {
			year = fs.String("year", "", "年度（2026、令和8年度。省略時はすべての年度）")
			asJSON = fs.Bool("json", false, "JSON で出力します")
		},
		Args: func(pos []string) bool { return len(pos) == 0 },
		Run: func(d Deps, _ []string) error {
			fy := 0
			if *year != "" {
				y, err := jp.ParseFiscalYear(*year)
				if err != nil || y < 2000 || y > 2100 {
					return fmt.Errorf("--year「%s」は年度として読めません（例: 2026、令和8年度）", *year)
				}
				fy = y
			}
			rows, table, err := lc.Rows(ctx, d, fy)
			if err != nil {
				return err
			}
			if *asJSON {
				enc := json.NewEncoder(cli.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			if len(table) <= 1 {
				fmt.Fprintln(cli.Stdout, lc.What+"はありません。")
				return nil
			}
			jp.WriteColumns(cli.Stdout, table)
			return nil
		}})
}
