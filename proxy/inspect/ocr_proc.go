package inspect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// errDiedIdle: a warm process had exited before it got its image.
var errDiedIdle = errors.New("tesseract exited before use")

// maxTSV bounds what one recognition may print; more is a runaway process.
const maxTSV = 8 << 20

// tessProc is one started tesseract process waiting for its image on stdin. Tesseract
// loads its language data before it reads the image, so a started process is "warm".
type tessProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *capBuffer
	errOut *capBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // Wait's result, valid after done
	once   sync.Once
}

// start launches a tesseract process for langs that reads a PGM from stdin and writes TSV
// (one row per word with its box) to stdout, inside the sandbox of sandbox_*.go.
func (e *OCREngine) start(langs string) (*tessProc, error) {
	bin, err := exec.LookPath(e.cfg.Tesseract)
	if err != nil {
		return nil, fmt.Errorf("%w: %v; run: %s", ErrOCRMissing, err, OCRInstallHint)
	}
	args := []string{"stdin", "stdout", "-l", langs, "--oem", "1", "--psm", "6",
		"-c", "tessedit_do_invert=0", "-c", "debug_file=/dev/null", "tsv"}
	if e.cfg.TessData != "" {
		args = append([]string{"--tessdata-dir", e.cfg.TessData}, args...)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = tessEnv()
	cmd.Dir = os.TempDir()
	p := &tessProc{cmd: cmd, out: &capBuffer{max: maxTSV}, errOut: &capBuffer{max: 4096}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.errOut
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	sandbox(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting tesseract: %w", err)
	}
	limit(cmd.Process.Pid, e.cfg.MaxMemory, e.cfg.Nice)
	go func() {
		p.err = cmd.Wait()
		if kib := maxRSS(cmd.ProcessState); kib > e.maxRSS.Load() {
			e.maxRSS.Store(kib) // a statistic: a lost race only misses a peak
		}
		close(p.done)
	}()
	return p, nil
}

// tessEnv is the whole environment of a tesseract process: one OpenMP thread (the pool,
// not OpenMP, spreads work over the cores) and a UTF-8 locale.
func tessEnv() []string {
	env := []string{"OMP_THREAD_LIMIT=1", "LANG=C.UTF-8", "LC_ALL=C.UTF-8"}
	if v := os.Getenv("TESSDATA_PREFIX"); v != "" {
		env = append(env, "TESSDATA_PREFIX="+v)
	}
	return env
}

// kill ends the process (and its process group) and waits for it.
func (p *tessProc) kill() {
	p.once.Do(func() {
		killGroup(p.cmd)
		p.stdin.Close()
	})
	<-p.done
}

// recognise sends img (PGM bytes) to the process and returns its TSV output; at ctx's
// deadline the process is killed. The process is used once.
func (p *tessProc) recognise(ctx context.Context, img []byte) ([]byte, error) {
	select {
	case <-p.done: // died while idle (killed, or its data failed to load)
		return nil, fmt.Errorf("%w: %v: %s", errDiedIdle, p.err, firstLine(p.errOut.Bytes()))
	default:
	}
	werr := make(chan error, 1)
	go func() {
		_, err := p.stdin.Write(img)
		if cerr := p.stdin.Close(); err == nil {
			err = cerr
		}
		werr <- err
	}()
	select {
	case <-p.done:
	case <-ctx.Done():
		p.kill()
		return nil, ctx.Err()
	}
	if err := <-werr; err != nil && !errors.Is(err, os.ErrClosed) && p.err == nil {
		return nil, fmt.Errorf("writing the image to tesseract: %w", err)
	}
	if p.out.over {
		return nil, fmt.Errorf("tesseract printed more than %d MiB", maxTSV>>20)
	}
	if p.err != nil {
		return nil, fmt.Errorf("tesseract failed: %v: %s", p.err, firstLine(p.errOut.Bytes()))
	}
	return p.out.Bytes(), nil
}

// capBuffer keeps at most max bytes and notes that more were written.
type capBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (c *capBuffer) Write(b []byte) (int, error) {
	if room := c.max - c.Len(); len(b) > room {
		c.over = true
		c.Buffer.Write(b[:max(room, 0)])
		return len(b), nil
	}
	return c.Buffer.Write(b)
}

// ocrWord is one word of Tesseract's TSV output with its box.
type ocrWord struct {
	left, w, h       int
	text             string
	block, par, lnum int
}

// parseTSV reads the word rows (level 5) of Tesseract's TSV output.
func parseTSV(tsv []byte) []ocrWord {
	var words []ocrWord
	for _, row := range strings.Split(string(tsv), "\n") {
		f := strings.Split(row, "\t")
		if len(f) < 12 || f[0] != "5" {
			continue
		}
		text := strings.TrimSpace(f[11])
		if text == "" {
			continue
		}
		n := make([]int, 10)
		ok := true
		for i := 1; i < 10; i++ {
			v, err := strconv.Atoi(f[i])
			if err != nil {
				ok = false
				break
			}
			n[i] = v
		}
		if !ok {
			continue
		}
		words = append(words, ocrWord{block: n[2], par: n[3], lnum: n[4], left: n[6], w: n[8], h: n[9], text: text})
	}
	return words
}

// runBand recognises one band image on a pooled process within ctx.
func (e *OCREngine) runBand(ctx context.Context, langs string, pgm []byte) ([]ocrWord, error) {
	if err := e.acquire(ctx); err != nil {
		return nil, err
	}
	defer e.release()
	p, err := e.proc(langs)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	tsv, err := p.recognise(ctx, pgm)
	if errors.Is(err, errDiedIdle) { // once more with a fresh process
		if p, err = e.start(langs); err != nil {
			return nil, err
		}
		tsv, err = p.recognise(ctx, pgm)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%v (after %s)", err, time.Since(start).Round(time.Millisecond))
	}
	return parseTSV(tsv), nil
}
