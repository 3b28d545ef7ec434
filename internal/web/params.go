package web

import (
	"net/http"
	"strconv"
)

// PathID reads the path value name ("id" of "/staff/{id}") as a positive
// integer. Anything else names no record, so it is a 404, the same answer
// as an id that does not exist.
func PathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, NotFound()
	}
	return id, nil
}
