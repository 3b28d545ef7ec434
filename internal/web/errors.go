package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"mamori/internal/database"
)

// Error is an error with an HTTP status and a message for the user (Japanese).
type Error struct {
	Status int
	Msg    string
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Msg, e.Err)
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Invalid is a 400 with a message naming the field or row at fault.
func Invalid(format string, args ...any) error {
	return &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...)}
}

// Forbidden is a 403.
func Forbidden() error {
	return &Error{Status: http.StatusForbidden, Msg: "この操作を行う権限がありません。"}
}

// NotFound is a 404.
func NotFound() error {
	return &Error{Status: http.StatusNotFound, Msg: "ページまたはデータが見つかりません。"}
}

// Conflict is a 409.
func Conflict(format string, args ...any) error {
	return &Error{Status: http.StatusConflict, Msg: fmt.Sprintf(format, args...)}
}

// Unavailable is the 503 page's message: the database cannot be reached
// for the moment (a restart, a network cut). Nothing of this request was
// saved, which the user must know to send it again.
const Unavailable = "ただいまデータベースに接続できないため、処理できませんでした。この操作の内容は保存されていません。1 分ほど待ってから、もう一度お試しください。"

// statusOf maps an error to a status and a message safe to show.
func statusOf(err error) (int, string) {
	var we *Error
	if errors.As(err, &we) {
		return we.Status, we.Msg
	}
	if errors.Is(err, database.ErrNotFound) {
		return http.StatusNotFound, "ページまたはデータが見つかりません。"
	}
	if database.IsUnavailable(err) {
		return http.StatusServiceUnavailable, Unavailable
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("送信されたデータが大きすぎます（上限 %d MB）。", mbe.Limit>>20)
	}
	return http.StatusInternalServerError, "システムエラーが発生しました。時間をおいて再度お試しください。解決しない場合は管理者に連絡してください。"
}

// FieldErrors are a form's problems by field, in Japanese: a feature
// returns them from a store method and renders the form again with each
// message beside its field. As an error they read as every message, in
// the order of the field names.
type FieldErrors map[string]string

func (fe FieldErrors) Error() string {
	keys := make([]string, 0, len(fe))
	for k := range fe {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fe[k])
	}
	return strings.Join(parts, " ")
}
