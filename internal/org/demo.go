package org

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strconv"
	"strings"

	"mamori/content"
	"mamori/internal/auth"
	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/web"
)

// DemoFiscalYear is the demo ward's working year (令和8年度).
const DemoFiscalYear = 2026

// DemoWard is the demo ward's name.
const DemoWard = "ひので区"

const settingDemo = "demo"

// demoCSIRT is the demo ward's incident contact (fictional numbers: the
// 0000 exchange is not in use, example.jp is reserved).
var demoCSIRT = map[string]string{
	settingCSIRTName:  "ひので区CSIRT（情報政策課 情報セキュリティ係）",
	settingCSIRTPhone: "内線 2345／直通 03-0000-2345（平日 8:30〜17:15）",
	settingCSIRTMail:  "csirt@hinode-ku.example.jp",
	settingCSIRTNote:  "夜間・休日は当番携帯 090-0000-2345 へ。パソコンは LAN ケーブルを抜き、電源は切らずにそのまま連絡してください。",
}

// demoAccounts are the demo logins, one per role, and where each sits.
var demoAccounts = []struct {
	login, name string
	role        web.Role
}{
	{"admin", "情報政策課 情報セキュリティ係", web.RoleAdmin},
	{"consultant", "支援事業者 担当コンサルタント", web.RoleConsultant},
	{"auditor", "総務課 内部監査担当", web.RoleAuditor},
	{"auditee", "戸籍住民課 庶務担当", web.RoleAuditee},
	{"staff", "住民記録係 職員", web.RoleStaff},
	{"vendor", "委託事業者 ひので情報サービス株式会社", web.RoleVendor},
	{"viewer", "CISO（副区長）", web.RoleViewer},
}

// IsDemo reports whether the database holds the demo ward.
func (s *Service) IsDemo(ctx context.Context) bool {
	v, _ := s.Setting(ctx, settingDemo)
	return v == "1"
}

// IsEmpty reports whether the organisation has no departments and no users.
func (s *Service) IsEmpty(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.QueryRow(ctx, "SELECT (SELECT COUNT(*) FROM departments) + (SELECT COUNT(*) FROM users)").Scan(&n); err != nil {
		return false, fmt.Errorf("org.IsEmpty: %w", err)
	}
	return n == 0, nil
}

type demoDept struct {
	Code     string     `json:"code"`
	Name     string     `json:"name"`
	Level    string     `json:"level"`
	Children []demoDept `json:"children"`
}

type demoName struct {
	kanji, kana string
	weight      int
	male        bool
}

func readTSV(path string) ([][]string, error) {
	f, err := content.FS.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, strings.Split(line, "\t"))
		}
	}
	return out, sc.Err()
}

// counterWords mark departments that serve residents at a counter (窓口).
var counterWords = []string{"戸籍", "住民", "税務", "国保", "年金", "出張所", "区民課", "生活福祉", "介護", "障害者福祉", "子育て", "保育", "窓口"}

// myNumberWords mark departments whose work handles My Number.
var myNumberWords = []string{"戸籍住民", "税務", "国保年金", "生活福祉", "介護保険", "障害者福祉", "子育て支援", "人事", "職員課", "高齢福祉", "保育", "出張所"}

func hasAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// CreateDemo fills an empty database with ひので区: its department tree,
// about 4,000 generated staff and one login per role. The same seed always
// gives the same ward. password is the demo password for every account.
func (s *Service) CreateDemo(ctx context.Context, password string, progress func(string)) error {
	defer s.forgetDepartments()
	if progress == nil {
		progress = func(string) {}
	}
	empty, err := s.IsEmpty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		return fmt.Errorf("org.CreateDemo: データベースに既にデータがあります。デモデータは空のデータベースにだけ作成できます")
	}
	raw, err := fs.ReadFile(content.FS, "demo/departments.json")
	if err != nil {
		return fmt.Errorf("org.CreateDemo: %w", err)
	}
	var roots []demoDept
	if err := json.Unmarshal(raw, &roots); err != nil {
		return fmt.Errorf("org.CreateDemo: departments.json: %w", err)
	}
	surnames, err := loadNames("demo/surnames.tsv")
	if err != nil {
		return err
	}
	given, err := loadNames("demo/given_names.tsv")
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(20260401, 8))
	hash := auth.HashPassword(password, s.cfg.Argon)
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		for _, y := range []int{DemoFiscalYear - 1, DemoFiscalYear} {
			if _, err := s.db.Exec(ctx, "INSERT INTO fiscal_years (year, start_date, end_date, is_current, note, created_at) VALUES (?, ?, ?, ?, '', ?)",
				y, jp.FiscalYearStart(y).Format("2006-01-02"), jp.FiscalYearEnd(y).Format("2006-01-02"), y == DemoFiscalYear, now); err != nil {
				return err
			}
		}
		if err := s.SetSetting(ctx, settingDemo, "1"); err != nil {
			return err
		}
		if err := s.SetSetting(ctx, "ward_name", DemoWard); err != nil {
			return err
		}
		for k, v := range demoCSIRT {
			if err := s.SetSetting(ctx, k, v); err != nil {
				return err
			}
		}
		progress("所属を作成しています")
		ids := map[string]int64{}
		type unit struct {
			id          int64
			path, level string
			leaf        bool
		}
		var units []unit
		order := 0
		var insert func(ds []demoDept, parent int64, path string) error
		insert = func(ds []demoDept, parent int64, path string) error {
			for _, d := range ds {
				order++
				p := strings.TrimSpace(path + " " + d.Name)
				id, err := s.db.InsertID(ctx, `INSERT INTO departments (code, name, level, parent_id, sort_order, active, has_counter, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, TRUE, ?, ?, ?)`, d.Code, d.Name, d.Level, nullID(parent), order, d.Level != "部" && hasAny(p, counterWords), now, now)
				if err != nil {
					return fmt.Errorf("department %s: %w", d.Code, err)
				}
				ids[d.Code] = id
				units = append(units, unit{id: id, path: p, level: d.Level, leaf: len(d.Children) == 0})
				if err := insert(d.Children, id, p); err != nil {
					return err
				}
			}
			return nil
		}
		if err := insert(roots, 0, ""); err != nil {
			return err
		}

		progress("職員を生成しています")
		type person struct {
			no, name, kana, title, class, email string
			dept                                int64
			sys, prot, myno                     bool
		}
		var people []person
		seen := map[string]bool{}
		pick := func(ns []demoName, male int) demoName {
			total := 0
			for _, n := range ns {
				if male < 0 || n.male == (male == 1) {
					total += n.weight
				}
			}
			x := rng.IntN(total)
			for _, n := range ns {
				if male >= 0 && n.male != (male == 1) {
					continue
				}
				if x < n.weight {
					return n
				}
				x -= n.weight
			}
			return ns[0]
		}
		add := func(u unit, title, class string) {
			for {
				sex := rng.IntN(2)
				sn, gn := pick(surnames, -1), pick(given, sex)
				name := sn.kanji + "\u3000" + gn.kanji
				if seen[name] && rng.IntN(4) != 0 {
					continue
				}
				seen[name] = true
				no := fmt.Sprintf("%06d", 100000+len(people)*7+rng.IntN(7))
				sys := strings.Contains(u.path, "情報政策") || rng.IntN(60) == 0
				myno := hasAny(u.path, myNumberWords) && rng.IntN(10) < 7
				prot := (class == JobManager && u.level == "課") || rng.IntN(40) == 0
				people = append(people, person{no: no, name: name, kana: sn.kana + "\u3000" + gn.kana, title: title, class: class,
					email: "u" + no + "@hinode-ku.example.jp", dept: u.id, sys: sys, prot: prot, myno: myno})
				return
			}
		}
		for _, u := range units {
			switch {
			case u.level == "部":
				add(u, "部長", JobManager)
			case u.level == "課":
				add(u, "課長", JobManager)
				if rng.IntN(3) == 0 {
					add(u, "担当課長", JobManager)
				}
				if u.leaf {
					for i, n := 0, 10+rng.IntN(25); i < n; i++ {
						add(u, generalTitle(rng), JobGeneral)
					}
				}
			default:
				add(u, "係長", JobGeneral)
				for i, n := 0, 14+rng.IntN(24); i < n; i++ {
					add(u, generalTitle(rng), JobGeneral)
				}
			}
		}
		progress(fmt.Sprintf("職員 %d 人を登録しています", len(people)))
		const batch = 400
		for start := 0; start < len(people); start += batch {
			end := min(start+batch, len(people))
			var sb strings.Builder
			var args []any
			for i, p := range people[start:end] {
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, TRUE, ?, ?, ?)")
				args = append(args, p.no, p.name, p.kana, p.dept, p.class, p.title, p.sys, p.prot, p.myno, p.email,
					StaffSearchText(p.no, p.name, p.kana, p.email), now, now)
			}
			if _, err := s.db.Exec(ctx, `INSERT INTO staff (employee_no, name, kana, department_id, job_class, job_title, is_system, is_protection, is_mynumber, email, active, search_text, created_at, updated_at)
				VALUES `+sb.String(), args...); err != nil {
				return fmt.Errorf("staff: %w", err)
			}
		}
		// Personnel history: this year as generated; last year the same
		// place for most, another unit of the same level for about one in ten.
		if _, err := s.db.Exec(ctx, `INSERT INTO staff_assignments (staff_id, fiscal_year, department_id, job_class, job_title, active, updated_at)
			SELECT id, ?, department_id, job_class, job_title, TRUE, ? FROM staff`, DemoFiscalYear, now); err != nil {
			return err
		}
		leaves := []int64{}
		for _, u := range units {
			if u.level == "係" {
				leaves = append(leaves, u.id)
			}
		}
		rows, err := s.db.Query(ctx, "SELECT id, department_id, job_class, job_title FROM staff ORDER BY id")
		if err != nil {
			return err
		}
		type hist struct {
			id, dept     int64
			class, title string
		}
		var hs []hist
		for rows.Next() {
			var h hist
			if err := rows.Scan(&h.id, &h.dept, &h.class, &h.title); err != nil {
				rows.Close()
				return err
			}
			if h.class == JobGeneral && rng.IntN(10) == 0 {
				h.dept = leaves[rng.IntN(len(leaves))]
			}
			hs = append(hs, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for start := 0; start < len(hs); start += batch {
			end := min(start+batch, len(hs))
			var sb strings.Builder
			var args []any
			for i, h := range hs[start:end] {
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString("(?, ?, ?, ?, ?, TRUE, ?)")
				args = append(args, h.id, DemoFiscalYear-1, h.dept, h.class, h.title, now)
			}
			if _, err := s.db.Exec(ctx, `INSERT INTO staff_assignments (staff_id, fiscal_year, department_id, job_class, job_title, active, updated_at) VALUES `+sb.String(), args...); err != nil {
				return err
			}
		}

		progress("デモ用のログインを作成しています")
		deptOf := map[string]string{"admin": "情報セキュリティ係", "auditor": "総務課", "auditee": "戸籍住民課", "staff": "住民記録係", "viewer": "区長室"}
		for _, a := range demoAccounts {
			var dept int64
			if name := deptOf[a.login]; name != "" {
				_ = s.db.QueryRow(ctx, "SELECT id FROM departments WHERE name = ? ORDER BY code LIMIT 1", name).Scan(&dept)
			}
			if _, err := s.insertAccount(ctx, AccountInput{Login: a.login, DisplayName: a.name, Role: a.role, DepartmentID: dept}, hash, true); err != nil {
				return err
			}
		}
		var staffID int64
		if err := s.db.QueryRow(ctx, "SELECT s.id FROM staff s JOIN departments d ON d.id = s.department_id WHERE d.name = '住民記録係' ORDER BY s.id LIMIT 1 OFFSET 3").Scan(&staffID); err == nil {
			// The staff login is that person: greeted by name, unlike the
			// office accounts named after a department or a company.
			if _, err := s.db.Exec(ctx, "UPDATE users SET staff_id = ?, display_name = (SELECT name FROM staff WHERE id = ?) WHERE login = 'staff'", staffID, staffID); err != nil {
				return err
			}
		}
		return s.log.Record(ctx, "demo.create", "demo", fmt.Sprintf("%s: 所属 %d, 職員 %d, ログイン %d", DemoWard, len(units), len(people), len(demoAccounts)))
	})
}

var generalTitles = []string{"主事", "主事", "主事", "主任", "主任", "主査", "技術主任", "主事補"}

func generalTitle(rng *rand.Rand) string { return generalTitles[rng.IntN(len(generalTitles))] }

func loadNames(path string) ([]demoName, error) {
	rows, err := readTSV(path)
	if err != nil {
		return nil, fmt.Errorf("org: %s: %w", path, err)
	}
	var out []demoName
	for i, r := range rows {
		if len(r) < 3 {
			return nil, fmt.Errorf("org: %s line %d: 3 columns expected", path, i+1)
		}
		n := demoName{kanji: r[0], kana: r[1], weight: 1}
		if w, err := strconv.Atoi(r[2]); err == nil {
			n.weight = w
		} else {
			n.male = r[2] == "M"
		}
		out = append(out, n)
	}
	return out, nil
}
