package survey

import (
	"context"
	"fmt"

	"mamori/internal/module"
	"mamori/internal/web"
)

// Tiles implements module.Tiler: a member of staff sees the
// questionnaires waiting for their answer; those who run the
// self-assessment see the response rate of each open campaign.
func (m *Module) Tiles(ctx context.Context, u *web.User) ([]module.Tile, error) {
	if u == nil {
		return nil, nil
	}
	var tiles []module.Tile
	staff, err := m.staffOf(ctx, u)
	if err != nil {
		return nil, err
	}
	if staff != 0 {
		mine, err := m.store.OpenFor(ctx, staff)
		if err != nil {
			return nil, err
		}
		today := m.store.today()
		waiting, link := 0, "/selfcheck"
		note := ""
		for _, x := range mine {
			if !x.Invitation.Submitted && x.Campaign.AcceptsOn(today) {
				waiting++
				link = fmt.Sprintf("/selfcheck/answer/%d", x.Campaign.ID)
				note = "締切 " + x.Campaign.ClosesOn.Format("1月2日")
			}
		}
		if waiting > 0 {
			if waiting > 1 {
				link = "/selfcheck"
			}
			tiles = append(tiles, module.Tile{Label: "未回答の自己点検", Value: fmt.Sprintf("%d 件", waiting), Note: note, Link: link, Alert: true, Task: true})
		}
	}
	if Managers.HasUser(u) || u.Role == web.RoleViewer {
		cs, err := m.store.Campaigns(ctx, 0)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.State != StateOpen {
				continue
			}
			link := fmt.Sprintf("/selfcheck/campaigns/%d", c.ID)
			if !Managers.HasUser(u) {
				link = "/selfcheck"
			}
			tiles = append(tiles, module.Tile{Label: "自己点検の回答率（" + c.Code + "）", Value: fmt.Sprintf("%.0f%%", c.Rate()*100),
				Note: fmt.Sprintf("%d / %d 人、締切 %s", c.Answered, c.Invited, c.ClosesOn.Format("1月2日")), Link: link})
		}
	}
	return tiles, nil
}
