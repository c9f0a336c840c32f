package upload

import (
	"net/http"
	"strings"
	"testing"
)

// BenchmarkHostileJSON reads JSON bodies built to make a walker burn CPU (deep nesting, many strings under
// deep paths) and a large ordinary one: nesting past 256 levels is refused after one linear scan, the rest
// is walked in linear time.
func BenchmarkHostileJSON(b *testing.B) {
	for name, body := range map[string]string{
		"deep-arrays-240KB":  strings.Repeat("[", 120000) + strings.Repeat("]", 120000),
		"deep-objects-240KB": strings.Repeat(`{"a":`, 40000) + "1" + strings.Repeat("}", 40000),
		"strings-under-deep-path": strings.Repeat(`{"k":[`, 20000) + strings.Repeat(`"`+strings.Repeat("QUJD", 30)+`",`, 1000) + "1" +
			strings.Repeat("]}", 20000),
		"wide-8MB": "[" + strings.Repeat(`{"id":12345,"name":"上海某某贸易有限公司","tags":["a","b"],"note":"`+strings.Repeat("x", 60)+`"},`, 65000) + "{}]",
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := Read(strings.NewReader(body), http.Header{"Content-Type": {"application/json"}}, nil, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
