package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// moveListLimit is how many of the newest moves the list shows.
const moveListLimit = 25

// moveListView is the list of the recent moves of live scopes.
type moveListView struct {
	Jobs []moveJobView
	// Failed tells that a confirmed change was saved but its move could
	// not be recorded in the config store.
	Failed bool
}

// moveList lists the recent moves of live scopes, newest first, from the
// config store: every instance shows every job, after a restart too.
func (s *storageMoves) moveList(c echo.Context) error {
	jobs, err := s.Admins.StorageMoves(c.Request().Context(), moveListLimit)
	if err != nil {
		return err
	}
	v := moveListView{Failed: c.QueryParam("failed") != ""}
	now := s.now()
	for _, j := range jobs {
		if r := s.local(j.ID); r != nil {
			j = r.snapshot()
		}
		v.Jobs = append(v.Jobs, newMoveJobView(j, s.local(j.ID) != nil, now))
	}
	return s.render(c, http.StatusOK, storageMoveListPage(s.meta(c, "Moves of live scopes", "scope"), v))
}
