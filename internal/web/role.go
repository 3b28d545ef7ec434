package web

// Role is what a user is allowed to do (DESIGN.md "Who uses it").
type Role string

// The roles of DESIGN.md.
const (
	RoleAdmin      Role = "admin"
	RoleConsultant Role = "consultant"
	RoleAuditor    Role = "auditor"
	RoleAuditee    Role = "auditee"
	RoleStaff      Role = "staff"
	RoleVendor     Role = "vendor"
	RoleViewer     Role = "viewer"
)

// AllRoles lists every role in display order.
var AllRoles = []Role{RoleAdmin, RoleConsultant, RoleAuditor, RoleAuditee, RoleStaff, RoleVendor, RoleViewer}

var roleLabels = map[Role]string{
	RoleAdmin:      "管理者",
	RoleConsultant: "支援事業者",
	RoleAuditor:    "内部監査人",
	RoleAuditee:    "被監査所属",
	RoleStaff:      "職員",
	RoleVendor:     "委託事業者",
	RoleViewer:     "閲覧者",
}

// Label is the role's Japanese name.
func (r Role) Label() string {
	if l, ok := roleLabels[r]; ok {
		return l
	}
	return string(r)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := roleLabels[r]; return ok }

// ParseRole accepts a role's code or its Japanese label.
func ParseRole(s string) (Role, bool) {
	for _, r := range AllRoles {
		if s == string(r) || s == r.Label() {
			return r, true
		}
	}
	return "", false
}

// User is the signed-in person as the web layer sees them.
type User struct {
	ID           int64
	Login        string
	DisplayName  string
	Role         Role
	DepartmentID int64 // 0: none
	StaffID      int64 // the roster person the account is linked to (0: none, or not read)
	MFAPending   bool  // password accepted, second factor not yet given
	MFARequired  bool  // must enrol TOTP before doing anything else
	IsDemo       bool
}
