package roster

import (
	"fmt"
	"sort"
	"strings"

	"mamori/internal/jp"
)

// builder carries the state of one Build.
type builder struct {
	p     *Plan
	t     *Table
	ex    *Existing
	col   map[Field]int // field → column index
	depts *resolver
	names *deptIndex // registered departments, for paths

	seen      map[string]int // employee_no → first row
	inferred  [2]int         // rows whose job class was inferred: general, manager
	fileDepts map[int64]bool // registered departments the rows name
}

// Build validates every row of t against the registered organisation ex
// and works out what importing it would change. It touches no database;
// the result is for preview, and for Apply when OK.
func Build(t *Table, ex *Existing, opt Options) *Plan {
	if ex == nil {
		ex = &Existing{}
	}
	p := &Plan{FiscalYear: opt.FiscalYear, Scope: opt.Scope, CreateDepartments: opt.CreateDepartments, RetireLimit: opt.RetireLimit, stamp: ex.stamp}
	if p.RetireLimit <= 0 || p.RetireLimit > 100 {
		p.RetireLimit = DefaultRetireLimit
	}
	if t == nil {
		p.Errors = append(p.Errors, Issue{Msg: msgNoData})
		return p
	}
	p.Filename, p.Rows = t.Filename, len(t.Rows)
	b := &builder{p: p, t: t, ex: ex, seen: map[string]int{}, names: newDeptIndex(ex.Departments), fileDepts: map[int64]bool{}}
	b.depts = newResolver(ex, opt.CreateDepartments, &p.NewDepts)
	if opt.FiscalYear < 1989 || opt.FiscalYear > 2200 {
		b.fail(0, "", "取り込む年度を指定してください")
	}
	b.columns(opt.Mapping)
	if !p.OK() {
		sortIssues(p.Errors)
		return p
	}
	present := map[string]bool{}
	for _, r := range t.Rows {
		if no := jp.Normalize(r.Cell(b.col[FieldEmployeeNo])); no != "" {
			present[no] = true
		}
		b.row(r)
	}
	b.absentLeavers(present, opt)
	if !opt.CreateDepartments {
		p.NewDepts = nil // their rows are errors; nothing is created
	}
	assignCodes(p.NewDepts, ex)
	for i := range p.Changes {
		if ch := &p.Changes[i]; ch.NewDept >= 0 {
			ch.Department = p.NewDepts[ch.NewDept].Path
		}
	}
	b.summaryWarnings()
	sortIssues(p.Errors)
	sortIssues(p.Warnings)
	return p
}

func (b *builder) fail(row int, col, msg string) {
	b.p.Errors = append(b.p.Errors, Issue{Row: row, Column: col, Msg: msg})
}

func (b *builder) warn(row int, col, msg string) {
	b.p.Warnings = append(b.p.Warnings, Issue{Row: row, Column: col, Msg: msg})
}

// header is the name of the column holding f, for issues.
func (b *builder) header(f Field) string {
	if i, ok := b.col[f]; ok {
		return b.p.Columns[i].Name()
	}
	return f.Label()
}

// columns decides what each column holds and checks that the required
// ones are there.
func (b *builder) columns(mapping map[int]Field) {
	width := len(b.t.Headers)
	for _, r := range b.t.Rows {
		width = max(width, len(r.Cells))
	}
	headers := make([]string, width)
	copy(headers, b.t.Headers)
	fields := Recognise(headers)
	for i, f := range mapping {
		if i < 0 || i >= width {
			b.fail(0, "", fmt.Sprintf("列の指定（%d 列目）がファイルの列数（%d）を超えています", i+1, width))
			continue
		}
		if f < FieldNone || f >= FieldMyNumber {
			b.fail(0, columnName(headers, i), "この列には指定できない項目です")
			continue
		}
		fields[i] = f
	}
	b.col = map[Field]int{}
	for i, f := range fields {
		_, mapped := mapping[i]
		c := Column{Index: i, Letter: columnLetter(i), Header: headers[i], Field: f, Mapped: mapped}
		b.p.Columns = append(b.p.Columns, c)
		switch f {
		case FieldNone:
			continue
		case FieldMyNumber:
			b.fail(0, c.Name(), fmt.Sprintf("「%s」の列があります。個人番号（マイナンバー）はこのシステムに取り込めません", c.Name()))
			continue
		}
		if j, dup := b.col[f]; dup {
			b.fail(0, c.Name(), fmt.Sprintf("「%s」として読む列が 2 つあります（「%s」と「%s」）。どちらかを「取り込まない」にしてください",
				f.Label(), b.p.Columns[j].Name(), c.Name()))
			continue
		}
		b.col[f] = i
	}
	var missing []string
	if !b.has(FieldEmployeeNo) {
		missing = append(missing, "職員番号")
	}
	if !b.has(FieldName) && !b.has(FieldFamilyName) {
		missing = append(missing, "氏名（または姓・名）")
	}
	if !b.has(FieldDeptCode) && !b.has(FieldDeptName) {
		missing = append(missing, "所属コードまたは所属名")
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("%s の列が見つかりません。", strings.Join(missing, "、"))
		if !b.t.HeaderFound {
			msg += fmt.Sprintf("見出し行を判別できなかったため %d 行目を見出しとみなしました。", b.t.HeaderLine)
		}
		b.fail(0, "", msg+"列ごとに取り込む項目を指定してください")
		return
	}
	var skipped []string
	for _, c := range b.p.Columns {
		if c.Field == FieldNone && (c.Header != "" || b.columnHasData(c.Index)) {
			skipped = append(skipped, "「"+c.Name()+"」")
		}
	}
	if len(skipped) > 0 {
		b.warn(0, "", "次の列は取り込みません: "+strings.Join(skipped, "、"))
	}
	if !b.has(FieldEmail) {
		b.warn(0, "", "メールアドレスの列がないため、登録済みのメールアドレスはそのまま残します")
	}
}

func (b *builder) has(f Field) bool { _, ok := b.col[f]; return ok }

func (b *builder) columnHasData(i int) bool {
	for _, r := range b.t.Rows {
		if strings.TrimSpace(r.Cell(i)) != "" {
			return true
		}
	}
	return false
}

// cell returns the row's value for f and whether the file has that column.
func (b *builder) cell(r Row, f Field) (string, bool) {
	i, ok := b.col[f]
	if !ok {
		return "", false
	}
	return r.Cell(i), true
}

// row validates one data row and, when it is sound, records its change.
func (b *builder) row(r Row) {
	rowErrs := len(b.p.Errors)
	bad := func(f Field, msg string) { b.fail(r.Line, b.header(f), msg) }

	// Control characters anywhere in an imported cell.
	for _, c := range b.p.Columns {
		if i, ok := b.col[c.Field]; ok && i == c.Index && jp.HasControl(r.Cell(i)) {
			bad(c.Field, fmt.Sprintf("%sに使えない制御文字が含まれています（「%s」）", c.Field.Label(), show(r.Cell(i))))
		}
	}
	rawNo, _ := b.cell(r, FieldEmployeeNo)
	if jp.Normalize(rawNo) != "" && jp.Key(rawNo) == jp.Key(b.header(FieldEmployeeNo)) {
		return // the header row repeated (a paged export)
	}
	ch := Change{Row: r.Line, EmployeeNo: b.employeeNo(r.Line, rawNo, bad), NewDept: -1}
	if before, ok := b.ex.Staff[ch.EmployeeNo]; ok && ch.EmployeeNo != "" {
		ch.Before, ch.ID = &before, before.ID
		ch.BeforeDepartment = b.names.path(before.DepartmentID)
	}
	hasKana := b.personNames(r, &ch, bad)
	hasTitle, hasEmail := b.details(r, &ch, bad)
	b.flags(r, &ch, bad)

	leaver := false
	if v, ok := b.cell(r, FieldStatus); ok {
		var msg string
		if leaver, msg = parseStatus(v); msg != "" {
			bad(FieldStatus, msg)
		}
	}
	code, _ := b.cell(r, FieldDeptCode)
	dname, _ := b.cell(r, FieldDeptName)
	if msg := tooLong("所属名", jp.Normalize(dname), maxDeptName); msg != "" {
		bad(FieldDeptName, msg)
		dname = ""
	}
	if leaver {
		b.leaverRow(r, ch, code, dname, rowErrs)
		return
	}
	b.department(r, &ch, code, dname)
	if len(b.p.Errors) > rowErrs {
		return
	}

	// Values for columns the file lacks come from the registered person.
	if ch.Before != nil {
		if !hasKana {
			ch.Kana = ch.Before.Kana
		}
		if !hasTitle {
			ch.JobTitle = ch.Before.JobTitle
		}
		if !hasEmail {
			ch.Email = ch.Before.Email
		}
	}
	b.jobClass(&ch, hasTitle)
	if hasEmail && ch.Email == "" {
		b.warn(r.Line, b.header(FieldEmail), "メールアドレスが空欄です")
	}
	b.classify(&ch)
	b.p.Changes = append(b.p.Changes, ch)
}

// employeeNo normalises and checks a 職員番号 (leading zeros kept) and
// reports a repeat of an earlier row.
func (b *builder) employeeNo(line int, raw string, bad func(Field, string)) string {
	no := jp.Normalize(raw)
	if no == "" {
		bad(FieldEmployeeNo, "職員番号が空欄です")
		return ""
	}
	if msg := tooLong("職員番号", no, maxEmployeeNo); msg != "" {
		bad(FieldEmployeeNo, msg)
		return no
	}
	if first, dup := b.seen[no]; dup {
		bad(FieldEmployeeNo, fmt.Sprintf("職員番号 %s は %d 行目と重複しています", show(no), first))
	} else {
		b.seen[no] = line
	}
	return no
}

// personNames reads 氏名 (or 姓 and 名) and the kana (or セイ and メイ),
// joining split columns with a full-width space. It reports whether the
// file has a kana column.
func (b *builder) personNames(r Row, ch *Change, bad func(Field, string)) bool {
	nameField := FieldName
	if v, ok := b.cell(r, FieldName); ok {
		ch.Name = personName(v)
	} else {
		nameField = FieldFamilyName
		fam, _ := b.cell(r, FieldFamilyName)
		giv, _ := b.cell(r, FieldGivenName)
		ch.Name = personName(fam + " " + giv)
	}
	if ch.Name == "" {
		bad(nameField, "氏名が空欄です")
	} else if msg := tooLong("氏名", ch.Name, maxName); msg != "" {
		bad(nameField, msg)
	}

	kanaField, kana, hasKana := FieldKana, "", true
	if v, ok := b.cell(r, FieldKana); ok {
		kana = v
	} else if fam, ok := b.cell(r, FieldFamilyKana); ok {
		giv, _ := b.cell(r, FieldGivenKana)
		kanaField, kana = FieldFamilyKana, fam+" "+giv
	} else if giv, ok := b.cell(r, FieldGivenKana); ok {
		kanaField, kana = FieldGivenKana, giv
	} else {
		hasKana = false
	}
	ch.Kana = personName(jp.ToKatakana(jp.Normalize(kana)))
	if msg := tooLong("フリガナ", ch.Kana, maxKana); msg != "" {
		bad(kanaField, msg)
	} else if ch.Kana != "" && !jp.IsKana(ch.Kana) {
		bad(kanaField, fmt.Sprintf("フリガナ「%s」がカナではありません", show(strings.TrimSpace(kana))))
	}
	return hasKana
}

// details reads 職名, 職層 and メールアドレス; it reports whether the file
// has 職名 and メールアドレス columns.
func (b *builder) details(r Row, ch *Change, bad func(Field, string)) (hasTitle, hasEmail bool) {
	var title, email string
	title, hasTitle = b.cell(r, FieldJobTitle)
	ch.JobTitle = jp.Normalize(title)
	if msg := tooLong("職名", ch.JobTitle, maxJobTitle); msg != "" {
		bad(FieldJobTitle, msg)
	}
	if v, ok := b.cell(r, FieldJobClass); ok {
		class, msg := parseJobClass(v)
		if msg != "" {
			bad(FieldJobClass, msg)
		}
		ch.JobClass = class
	}
	email, hasEmail = b.cell(r, FieldEmail)
	if ch.Email = jp.Normalize(email); ch.Email != "" {
		if msg := checkEmail(ch.Email); msg != "" {
			bad(FieldEmail, msg)
		}
	}
	return hasTitle, hasEmail
}

// flags reads the three 担当者 flags; a flag without a column keeps the
// registered value.
func (b *builder) flags(r Row, ch *Change, bad func(Field, string)) {
	for _, fl := range []struct {
		f   Field
		dst *bool
		old func(*Staff) bool
	}{
		{FieldSystem, &ch.IsSystem, func(s *Staff) bool { return s.IsSystem }},
		{FieldProtection, &ch.IsProtection, func(s *Staff) bool { return s.IsProtection }},
		{FieldMyNumberDuty, &ch.IsMyNumber, func(s *Staff) bool { return s.IsMyNumber }},
	} {
		if v, ok := b.cell(r, fl.f); ok {
			val, msg := parseFlag(fl.f.Label(), v)
			if msg != "" {
				bad(fl.f, msg)
			}
			*fl.dst = val
		} else if ch.Before != nil {
			*fl.dst = fl.old(ch.Before)
		}
	}
}

// department resolves the row's department into ch.
func (b *builder) department(r Row, ch *Change, code, name string) {
	ref, prob, warn := b.depts.resolve(code, name)
	if warn != "" && (ref.id > 0 || b.p.CreateDepartments) {
		b.warn(r.Line, b.header(FieldDeptCode), warn)
	}
	if prob != nil {
		b.fail(r.Line, b.header(prob.field), prob.msg)
		return
	}
	if ref.id > 0 {
		ch.DepartmentID, ch.Department = ref.id, ref.path
		b.fileDepts[ref.id] = true
		return
	}
	if !b.p.CreateDepartments {
		b.unknownDepartment(r, code, name, ref.path)
		return
	}
	ch.NewDept, ch.Department = ref.proposal(), ref.path
	for i := ch.NewDept; i >= 0; i = b.p.NewDepts[i].Parent {
		b.p.NewDepts[i].Rows = append(b.p.NewDepts[i].Rows, r.Line)
	}
}

// unknownDepartment reports a row whose department is not registered when
// creating departments was not chosen: an unknown code is blamed on the
// 所属コード column, an unknown name (without a code) on 所属名.
func (b *builder) unknownDepartment(r Row, code, name, path string) {
	b.p.UnknownDepts++
	code = jp.Normalize(code)
	if code == "" {
		b.fail(r.Line, b.header(FieldDeptName), fmt.Sprintf("所属「%s」は登録されていません", path))
		return
	}
	msg := fmt.Sprintf("所属コード %s は登録されていません", show(code))
	if id := b.depts.lookup("", name); id > 0 {
		d := b.names.byID[id]
		msg += fmt.Sprintf("（所属名「%s」の登録済みのコードは %s です）", show(jp.Normalize(name)), d.Code)
	} else if name != "" {
		msg += fmt.Sprintf("（所属名「%s」も登録されていません）", show(jp.Normalize(name)))
	}
	b.fail(r.Line, b.header(FieldDeptCode), msg)
}

// jobClass settles ch.JobClass: as given, else inferred from the 職名, else
// kept from the registered person, else 一般職員.
func (b *builder) jobClass(ch *Change, hasTitle bool) {
	switch {
	case ch.JobClass != "":
	case hasTitle && ch.JobTitle != "":
		ch.JobClass, ch.JobClassInferred = inferJobClass(ch.JobTitle), true
		if ch.JobClass == JobManager {
			b.inferred[1]++
		} else {
			b.inferred[0]++
		}
	case ch.Before != nil && ch.Before.JobClass != "":
		ch.JobClass = ch.Before.JobClass
	default:
		ch.JobClass = JobGeneral
	}
}

// leaverRow records a row whose 在籍区分 says 退職.
func (b *builder) leaverRow(r Row, ch Change, code, dname string, rowErrs int) {
	if len(b.p.Errors) > rowErrs {
		return
	}
	switch {
	case ch.Before == nil:
		b.warn(r.Line, b.header(FieldStatus), fmt.Sprintf("職員番号 %s は登録されていないため、退職の行は取り込みません", show(ch.EmployeeNo)))
		return
	case !ch.Before.Active:
		b.warn(r.Line, b.header(FieldStatus), fmt.Sprintf("職員番号 %s は既に退職（無効）として登録されています", show(ch.EmployeeNo)))
		return
	}
	dept := b.depts.lookup(code, dname)
	if dept > 0 {
		b.fileDepts[dept] = true
	}
	b.p.Changes = append(b.p.Changes, b.leaver(ch.Before, r.Line, dept))
}

// leaver is the change that retires s, keeping their registered values.
// deptID, when not 0, is the department the file gives for the year.
func (b *builder) leaver(s *Staff, row int, deptID int64) Change {
	if deptID == 0 {
		deptID = s.DepartmentID
	}
	return Change{Kind: KindLeaver, Row: row, ID: s.ID, EmployeeNo: s.EmployeeNo, Name: s.Name, Kana: s.Kana,
		DepartmentID: deptID, NewDept: -1, Department: b.names.path(deptID), JobClass: s.JobClass, JobTitle: s.JobTitle,
		IsSystem: s.IsSystem, IsProtection: s.IsProtection, IsMyNumber: s.IsMyNumber, Email: s.Email,
		Before: s, BeforeDepartment: b.names.path(s.DepartmentID), Diffs: []string{"在籍"}}
}

// absentLeavers retires the active staff in scope whom the file does not
// list, and counts the active staff in scope (the base of the retirement
// limit).
func (b *builder) absentLeavers(present map[string]bool, opt Options) {
	in, all := b.scope(opt)
	var nos []string
	active, ward := 0, 0
	for no, s := range b.ex.Staff {
		if !s.Active {
			continue
		}
		ward++
		if all || in[s.DepartmentID] {
			active++
			if !present[no] {
				nos = append(nos, no)
			}
		}
	}
	sort.Strings(nos)
	for _, no := range nos {
		s := b.ex.Staff[no]
		b.p.Changes = append(b.p.Changes, b.leaver(&s, 0, 0))
	}
	b.p.Active = active
	if !all && len(in) == 0 {
		// Nobody is retired for being absent: only rows marked 退職 retire
		// anyone, measured against the whole ward.
		b.p.Active = ward
	}
}

// scope is the set of registered departments whose absent staff are
// retired, or all for the whole ward; it fills Plan.ScopeDepts.
func (b *builder) scope(opt Options) (in map[int64]bool, all bool) {
	if opt.Scope == ScopeWard {
		return nil, true
	}
	in = map[int64]bool{}
	chosen := map[int64]bool{}
	for _, c := range opt.Departments {
		code := jp.Normalize(c)
		d := b.names.byCode[code]
		if code == "" {
			continue
		}
		if d == nil {
			b.fail(0, "", fmt.Sprintf("退職扱いの範囲に指定した所属コード %s は登録されていません", show(code)))
			continue
		}
		chosen[d.ID] = true
	}
	for _, d := range b.ex.Departments {
		// A chosen department brings the ones under it.
		sub := false
		for p, n := b.names.byID[d.ID], 0; p != nil && n < 16; p, n = b.names.byID[p.ParentID], n+1 {
			if chosen[p.ID] {
				sub = true
				break
			}
		}
		switch {
		case chosen[d.ID]:
			in[d.ID] = true
			b.p.ScopeDepts = append(b.p.ScopeDepts, b.names.path(d.ID)+"（下位の所属を含む）")
		case sub:
			in[d.ID] = true
		case opt.FileDepartments && b.fileDepts[d.ID]:
			in[d.ID] = true
			b.p.ScopeDepts = append(b.p.ScopeDepts, b.names.path(d.ID))
		}
	}
	return in, false
}

// classify compares ch with the registered person and sets Kind and Diffs.
func (b *builder) classify(ch *Change) {
	s := ch.Before
	if s == nil {
		ch.Kind = KindNew
		return
	}
	diff := func(changed bool, label string) {
		if changed {
			ch.Diffs = append(ch.Diffs, label)
		}
	}
	moved := ch.NewDept >= 0 || ch.DepartmentID != s.DepartmentID
	diff(moved, "所属")
	diff(!sameText(ch.Name, s.Name), "氏名")
	diff(!sameText(ch.Kana, s.Kana), "フリガナ")
	diff(ch.JobClass != s.JobClass, "職層")
	diff(!sameText(ch.JobTitle, s.JobTitle), "職名")
	diff(ch.Email != s.Email, "メールアドレス")
	diff(ch.IsSystem != s.IsSystem, FieldSystem.Label())
	diff(ch.IsProtection != s.IsProtection, FieldProtection.Label())
	diff(ch.IsMyNumber != s.IsMyNumber, FieldMyNumberDuty.Label())
	switch {
	case !s.Active:
		ch.Kind = KindReactivated
	case moved:
		ch.Kind = KindMoved
	case len(ch.Diffs) > 0:
		ch.Kind = KindChanged
	default:
		ch.Kind = KindUnchanged
	}
}

// summaryWarnings adds the file-level notes that sum up many rows.
func (b *builder) summaryWarnings() {
	if n := b.inferred[0] + b.inferred[1]; n > 0 {
		why := "職層の列がないため"
		if b.has(FieldJobClass) {
			why = "職層が空欄の行は"
		}
		b.warn(0, b.header(FieldJobTitle), fmt.Sprintf("%s、職名から職層を推定しました（管理職 %d 人、一般職員 %d 人）。プレビューで確認してください",
			why, b.inferred[1], b.inferred[0]))
	}
}
