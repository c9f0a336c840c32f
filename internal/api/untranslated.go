package api

import (
	"encoding/json"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// The checks below find English left in screens that must be Chinese: the tests of the refusal JSON, the
// block page, the console pages and the API errors run them on zh-CN answers.

// englishPhrase is two English words in a row ("not a PDF", "you cannot"), as a sentence has them.
var englishPhrase = regexp.MustCompile(`[A-Za-z]{2,}[,:;.!?'")/-]*\s+[('"]*[A-Za-z]{2,}`)

// Untranslated returns the texts a zh-CN screen must not show: ASCII-only texts holding a phrase of
// English words ("unmarked: not a PDF or image", "you cannot approve your own request"). Host names,
// ids, numbers, hashes and single words ("Sluice", "English", "upload") pass.
func Untranslated(texts []string) []string {
	var out []string
	for _, t := range texts {
		t = strings.TrimSpace(t)
		if t == "" || !isASCII(t) {
			continue
		}
		if englishPhrase.MatchString(t) {
			out = append(out, t)
		}
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// HTMLTexts returns what a person reads on an HTML page: each text node (not scripts or styles) and
// the placeholder, title, alt and aria-label attributes.
func HTMLTexts(page string) []string {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return []string{page}
	}
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style"):
			return
		case n.Type == html.TextNode:
			out = append(out, n.Data)
		case n.Type == html.ElementNode:
			for _, a := range n.Attr {
				switch a.Key {
				case "placeholder", "title", "alt", "aria-label":
					out = append(out, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// JSONTexts returns the strings found under the given keys anywhere in a JSON document (a string, or
// strings in arrays and objects below the key).
func JSONTexts(data []byte, keys ...string) []string {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return nil
	}
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	var out []string
	var all func(v any)
	all = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				all(e)
			}
		case map[string]any:
			for _, e := range x {
				all(e)
			}
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				if want[k] {
					all(e)
				} else {
					walk(e)
				}
			}
		}
	}
	walk(v)
	return out
}
