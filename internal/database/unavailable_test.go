package database

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestIsUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{ErrNotFound, false},
		{context.Canceled, false},
		{errors.New("UNIQUE constraint failed"), false},
		{&pgconn.PgError{Code: "23505"}, false},
		{fmt.Errorf("auth.Session: %w", &pgconn.PgError{Code: "57P01"}), true}, // terminating connection due to administrator command
		{&pgconn.PgError{Code: "57P03"}, true},                                 // the database system is starting up
		{&pgconn.PgError{Code: "08006"}, true},
		{fmt.Errorf("query: %w", refused), true},
	} {
		if got := IsUnavailable(c.err); got != c.want {
			t.Errorf("IsUnavailable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
