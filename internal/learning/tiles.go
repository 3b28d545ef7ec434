package learning

import (
	"context"
	"fmt"

	"mamori/internal/module"
	"mamori/internal/web"
)

// Tiles implements module.Tiler: a member of staff sees the courses they
// have not completed within an open period; those who run the training
// and the viewer see the completion rate of each open campaign.
func (m *Module) Tiles(ctx context.Context, u *web.User) ([]module.Tile, error) {
	if u == nil {
		return nil, nil
	}
	var tiles []module.Tile
	staff, err := m.staffOf(ctx, u)
	if err != nil {
		return nil, err
	}
	now := m.store.now()
	if staff != 0 {
		mine, err := m.store.AssignmentsOf(ctx, staff)
		if err != nil {
			return nil, err
		}
		for _, x := range mine {
			if x.Done() || !x.Campaign.OpenOn(now) {
				continue
			}
			tiles = append(tiles, module.Tile{Label: "未修了の研修", Value: x.Course.Title, Link: fmt.Sprintf("/learning/my/%d", x.ID),
				Note: fmt.Sprintf("受講した単元 %d、期限 %s", x.LessonsDone, x.Campaign.Closes.Format("1月2日")), Alert: true, Task: true})
		}
	}
	if Managers.HasUser(u) || u.Role == web.RoleViewer {
		cs, err := m.store.Campaigns(ctx, 0)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if !c.OpenOn(now) {
				continue
			}
			tiles = append(tiles, module.Tile{Label: "研修の修了率（" + c.Code + "）", Value: c.RateLabel(),
				Note: fmt.Sprintf("%d / %d 人、期限 %s", c.Completed, c.Assigned, c.Closes.Format("1月2日")), Link: fmt.Sprintf("/learning/campaigns/%d", c.ID)})
		}
	}
	return tiles, nil
}
