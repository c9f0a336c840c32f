package front

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
)

// TestGuardedWriterCopiesBodiesWithoutANewBuffer: a response body copied through the guarded writer
// (as goproxy does with io.Copy) arrives intact, and a copy takes no 32 KiB buffer of its own.
func TestGuardedWriterCopiesBodiesWithoutANewBuffer(t *testing.T) {
	body := make([]byte, 100<<10)
	rand.Read(body)
	h := Limits{}.Guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, struct{ io.Reader }{bytes.NewReader(body)}) // a body that cannot write itself, like a response body
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://example.com/", nil))
	if !bytes.Equal(rec.Body.Bytes(), body) {
		t.Fatalf("copied %d bytes, not the %d sent", rec.Body.Len(), len(body))
	}
	gw := &guardedWriter{ResponseWriter: discardWriter{http.Header{}}, rc: http.NewResponseController(discardWriter{http.Header{}})}
	src := bytes.NewReader(body)
	io.Copy(gw, struct{ io.Reader }{src}) // the pool's first buffer
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 50 {
		src.Reset(body)
		if n, err := io.Copy(gw, struct{ io.Reader }{src}); err != nil || n != int64(len(body)) {
			t.Fatalf("copy: %d %v", n, err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / 50; per >= 16<<10 {
		t.Errorf("%d bytes allocated per copied body; the pooled buffer should leave a few hundred", per)
	}
}

// discardWriter is a ResponseWriter that drops what it is given.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}
