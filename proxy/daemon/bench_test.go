package daemon

import (
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
)

// BenchmarkUploadProxied sends 32 MB raw uploads through the proxy to an allowed destination.
func BenchmarkUploadProxied(b *testing.B) {
	up := newUpstream(b, 0)
	env := startEnv(b, up, watched, nil)
	const size = 32 << 20
	b.SetBytes(size)
	for b.Loop() {
		req, _ := http.NewRequest("PUT", "https://mail.163.com/upload/big.bin", &randomReader{left: size, rng: rand.NewChaCha8([32]byte{1})})
		req.ContentLength = size
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := env.client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkGetProxied sends small GETs through the intercepting proxy.
func BenchmarkGetProxied(b *testing.B) {
	up := newUpstream(b, 0)
	env := startEnv(b, up, watched, nil)
	for b.Loop() {
		resp, err := env.client.Get("https://mail.qq.com/x")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
