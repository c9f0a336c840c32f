// Package l10n carries what Sluice tells people in both of its languages, zh-CN (the default)
// and English, and the error type every package returns for failures a person reads.
package l10n

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Lang is a message language.
type Lang string

// The two languages; ZH is the default everywhere.
const (
	ZH Lang = "zh-CN"
	EN Lang = "en"
)

// Parse reads a language name or Accept-Language value: anything starting with "en" is English, the rest Chinese.
func Parse(s string) Lang {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), "en") {
		return EN
	}
	return ZH
}

// Pick returns zh or en for lang.
func (l Lang) Pick(zh, en string) string {
	if l == EN {
		return en
	}
	return zh
}

// Code classifies an error for programs (HTTP status, exit code); people read the message.
type Code string

// Error codes shared by the store, the API and the CLI.
const (
	NotFound     Code = "not_found"
	Forbidden    Code = "forbidden"
	Conflict     Code = "conflict"
	Invalid      Code = "invalid"
	Unauthorized Code = "unauthorized"
	TooLarge     Code = "too_large"
	Unavailable  Code = "unavailable"
	Locked       Code = "locked"
	Unreadable   Code = "unreadable"
	Internal     Code = "internal"
)

// Error is a failure with a code and a message in both languages, optionally wrapping a cause.
type Error struct {
	Code Code
	ZH   string
	EN   string
	Err  error
}

// New returns an error with a fixed message in both languages.
func New(code Code, zh, en string) *Error { return &Error{Code: code, ZH: zh, EN: en} }

// Errorf formats both messages with the same arguments; a %w verb is not supported (use Wrap).
func Errorf(code Code, zh, en string, args ...any) *Error {
	return &Error{Code: code, ZH: fmt.Sprintf(zh, args...), EN: fmt.Sprintf(en, args...)}
}

// Wrap returns err with a message in front of its own, keeping err for errors.Is/As.
func Wrap(err error, code Code, zh, en string, args ...any) *Error {
	e := Errorf(code, zh, en, args...)
	e.Err = err
	return e
}

// Sentinel returns a message-less error that errors.Is matches against every Error of its code.
func Sentinel(code Code) *Error { return &Error{Code: code} }

// Error returns the English message (logs are for engineers); people get In(lang).
func (e *Error) Error() string { return e.In(EN) }

// In returns the message in lang, followed by its cause's.
func (e *Error) In(lang Lang) string {
	msg := lang.Pick(e.ZH, e.EN)
	if msg == "" {
		msg = string(e.Code)
	}
	if e.Err != nil {
		sep := lang.Pick("：", ": ")
		msg += sep + Text(e.Err, lang)
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches a Sentinel of the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.ZH == "" && t.EN == "" && t.Err == nil && t.Code == e.Code
}

// Text renders any error for a person in lang: an Error in its language, anything else as it is.
func Text(err error, lang Lang) string {
	if err == nil {
		return ""
	}
	if e, ok := err.(*Error); ok {
		return e.In(lang)
	}
	var e *Error
	if errors.As(err, &e) { // wrapped by someone else: keep their words, localise ours
		return strings.Replace(err.Error(), e.Error(), e.In(lang), 1)
	}
	return err.Error()
}

// CodeOf returns the code of the first Error in err's chain, or Internal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return Internal
}

// Append adds more text, formatted with the same arguments in both languages, to e's messages.
func (e *Error) Append(zh, en string, args ...any) *Error {
	e.ZH += fmt.Sprintf(zh, args...)
	e.EN += fmt.Sprintf(en, args...)
	return e
}

type ctxKey struct{}

// WithLang returns ctx carrying the language replies should be in.
func WithLang(ctx context.Context, lang Lang) context.Context {
	return context.WithValue(ctx, ctxKey{}, lang)
}

// LangOf returns the language ctx carries, zh-CN when none.
func LangOf(ctx context.Context) Lang {
	if l, ok := ctx.Value(ctxKey{}).(Lang); ok {
		return l
	}
	return ZH
}
