package console

import (
	"net/url"
	"strings"
	"unicode"
)

// maxNextLen bounds the post-login target; the console's own links are far shorter.
const maxNextLen = 2048

// safeNext returns n when it is a path on this console, else "/". It accepts only an absolute path of
// printable ASCII ("/queue?x=1"): no scheme or host, no "//" or backslash, no whitespace or control
// character, none of these percent-encoded in the path either, and no characters outside ASCII (browsers
// strip tabs and newlines from a Location and map some look-alike characters to '/' or '\', so
// "/\t/evil.example" would otherwise land on another site).
func safeNext(n string) string {
	if n == "" || len(n) > maxNextLen || n[0] != '/' || !printableASCII(n) || strings.HasPrefix(n, "//") || strings.Contains(n, `\`) {
		return "/"
	}
	u, err := url.Parse(n)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	path, err := url.PathUnescape(u.EscapedPath())
	if err != nil || strings.HasPrefix(path, "//") || strings.Contains(path, `\`) || strings.ContainsFunc(path, badNextRune) {
		return "/"
	}
	return n
}

// printableASCII reports whether s holds only the characters '!' to '~'.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// badNextRune reports a character a decoded post-login path must not hold: control characters, whitespace
// (any script's) and the look-alikes of '/', '\' and '.' that URL parsers may fold into them.
func badNextRune(r rune) bool {
	switch r {
	case '\u2044', '\u2215', '\u29f8', '\u29f5', '\u29f9', '\ufe68', '\uff0f', '\uff3c', '\u3002', '\uff0e', '\ufeff', '\u200b':
		return true
	}
	return r < ' ' || r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.IsSpace(r)
}
