package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"
)

// printJSON writes v as one indented JSON document. Runes a terminal acts on or reorders (see unsafe)
// are written as \u escapes: the document stays valid JSON and decodes to the same values.
func printJSON(c *cli.Context, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := c.App.Writer.Write(escapeJSON(buf.Bytes()))
	return err
}

// escapeJSON rewrites unsafe runes in encoded JSON as \uXXXX. The encoder already escapes C0 inside
// strings, and every structural character of JSON is ASCII, so an unsafe rune here is inside a string.
func escapeJSON(doc []byte) []byte {
	if bytes.IndexFunc(doc, func(r rune) bool { return r != '\n' && unsafe(r) }) < 0 {
		return doc
	}
	out := make([]byte, 0, len(doc)+32)
	for len(doc) > 0 {
		r, n := utf8.DecodeRune(doc)
		if r != '\n' && unsafe(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, doc[:n]...)
		}
		doc = doc[n:]
	}
	return out
}

// unsafe reports runes that must not reach a terminal as they are: C0 controls (which clear the
// screen, move the cursor or start a forged row), DEL, C1 controls (8-bit CSI), the bidi marks,
// embeddings, overrides and isolates (which make "gpj.exe" read as "exe.jpg"), the Unicode line and
// paragraph separators, and the replacement character of invalid UTF-8.
func unsafe(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == 0x2028, r == 0x2029, r == utf8.RuneError:
		return true
	}
	return false
}

// clean makes a value safe to print in a table or a line: every unsafe rune, tabs and line breaks
// included, is shown escaped as Go would quote it (\x1b, \n, \u202e).
func clean(s string) string {
	return escapeRunes(s, func(r rune) bool { return unsafe(r) })
}

// cleanText is clean for multi-line text we wrote ourselves around user values (error messages):
// line breaks stay, everything else unsafe is escaped.
func cleanText(s string) string {
	return escapeRunes(s, func(r rune) bool { return r != '\n' && unsafe(r) })
}

func escapeRunes(s string, bad func(rune) bool) string {
	if strings.IndexFunc(s, bad) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if bad(r) {
			q := strconv.QuoteRune(r)
			if r == utf8.RuneError {
				q = `'\ufffd'`
			}
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
