package gap

import (
	"strings"
	"testing"

	"mamori/internal/catalog"
)

func TestDefaults(t *testing.T) {
	fws := []catalog.StoredFramework{{ID: 1, Code: "mic-policy", Version: "令和7年3月"}, {ID: 2, Code: "hinode-policy", Version: "令和6年4月1日施行"},
		{ID: 3, Code: "mic-policy", Version: "令和5年3月"}, {ID: 4, Code: "mic-policy", Version: "令和6年10月"}, {ID: 5, Code: "ppc-mynumber", Version: "x"}}
	v := defaults(fws, 2026)
	if v.Get("guideline") != "1" || v.Get("previous") != "4" || v.Get("ward") != "2" || v.Get("fiscal_year") != "令和8年度" ||
		!strings.Contains(v.Get("title"), "令和7年3月版") {
		t.Fatalf("defaults %v", v)
	}
	if v := defaults(fws[4:], 2026); v.Get("guideline") != "" || v.Get("title") != "" {
		t.Fatalf("defaults without the guideline %v", v)
	}
}
