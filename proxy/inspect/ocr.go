package inspect

// Text in images (OCR).
//
// With Options.OCR.Enabled, images (PNG, JPEG, WebP, GIF, BMP, TIFF), images inside
// DOCX/XLSX/PPTX and archives, and the images of PDF pages that have no text layer are read
// by Tesseract (LSTM engine, chi_sim by default; eng or others on request). The recognised lines are Segments
// with OCR set, so they meet the same detectors, customer-list match and thresholds as
// extracted text; Finding.OCR counts what came from OCR and Result.OCR carries the masked
// recognised text for reviewers.
//
// Design: Tesseract runs as a child process (the Debian `tesseract` program), not through a
// cgo binding such as gosseract. Leptonica and Tesseract are large C/C++ code bases; in
// the proxy's address space a crash, a runaway allocation or a hang on a hostile image
// would take every upload down with it, and a cgo call cannot be interrupted at a deadline.
// A child process can: it gets an address-space and CPU-time limit (prlimit), a lower
// scheduling priority, its own process group (killed whole at the deadline) and only a
// minimal environment. It also never sees the uploaded bytes: images are decoded in Go
// (memory-safe, pixel count checked from the header before decoding), normalised to
// black-on-white grey and handed over as a plain PGM on stdin. The cost of a process per
// image (about 0.3 s to load chi_sim) is hidden by keeping one idle process per worker
// already started: Tesseract loads its language data before it reads stdin.
//
// Speed: recognition time is proportional to the amount of text, so a screenshot is cut
// into horizontal bands at blank rows and the bands are recognised in parallel, one
// process per core; images unlikely to hold text (tiny icons, photos) are skipped by a
// cheap connected-component check; small text is scaled up and white space squeezed. The
// pool bounds concurrent recognitions to the cores whatever the number of uploads, and
// each part's OCR has a wall-time budget (queueing included): over budget, the image is
// reported KindUninspectable, never silently allowed. How the daemon, policy and console
// call it, and the measured accuracy and cost: OCR.md beside this file.

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// OCROptions turn on text recognition in images for a Scanner; the zero value leaves it off.
type OCROptions struct {
	Enabled   bool          // recognise text in images, embedded images and image-only PDF pages
	Languages []string      // Tesseract languages, default DefaultOCRLanguages
	Budget    time.Duration // wall time for all OCR of one part, queueing included (default 10 s)
	MaxPixels int64         // images with more pixels are not decoded but uninspectable (default 40 MP)
	Engine    *OCREngine    // the process pool to use; nil means the shared DefaultOCREngine()
	// StopWhen, if set, is asked after each recognised band with the findings of the part so
	// far; true means the verdict is reached (e.g. the policy's file thresholds) and the rest
	// of the part's OCR is skipped (OCRReport.Stopped). Counts are then lower bounds.
	StopWhen func(found []Finding) bool
}

// DefaultOCRLanguages are the Tesseract languages used when OCROptions.Languages is empty.
// chi_sim alone: its LSTM model also reads Latin letters, digits and e-mail addresses, and
// adding eng cost two thirds more CPU for no gain on the test screenshots (see OCR.md).
var DefaultOCRLanguages = []string{"chi_sim"}

// Default OCR limits, used for zero OCROptions fields.
const (
	DefaultOCRBudget    = 10 * time.Second // OCR wall time per part
	DefaultOCRMaxPixels = 40_000_000       // largest image decoded (an 8K screenshot is 33 MP)
)

// withDefaults fills the zero fields of o.
func (o OCROptions) withDefaults() OCROptions {
	if len(o.Languages) == 0 {
		o.Languages = DefaultOCRLanguages
	}
	if o.Budget <= 0 {
		o.Budget = DefaultOCRBudget
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = DefaultOCRMaxPixels
	}
	if o.Engine == nil {
		o.Engine = DefaultOCREngine()
	}
	return o
}

// OCRReport says what OCR did for one scanned part.
type OCRReport struct {
	Images  int    `json:"images"`            // images met (the part itself, embedded ones, PDF page images)
	Read    int    `json:"read"`              // images whose text was recognised
	Skipped int    `json:"skipped"`           // images passed over as unlikely to hold text (icons, photos)
	Millis  int64  `json:"ms"`                // wall time spent on OCR, queueing included
	Stopped bool   `json:"stopped,omitempty"` // StopWhen ended OCR early: counts are lower bounds
	Text    string `json:"text,omitempty"`    // the recognised text, masked, first 2,000 characters
}

// OCRConfig sets up an OCREngine; zero fields take defaults.
type OCRConfig struct {
	Tesseract string // the tesseract program (default: "tesseract" looked up in PATH)
	TessData  string // directory of *.traineddata (TESSDATA_PREFIX); "" for the packaged data
	Workers   int    // recognitions running at once (default: the number of cores)
	MaxMemory int64  // address-space limit of one tesseract process in bytes (default 1 GiB)
	Nice      int    // scheduling niceness of tesseract processes (default 10; negative: 0)
}

// OCREngine runs Tesseract as sandboxed child processes: at most Workers recognise at
// once, and up to Workers idle ones per language set wait with their data loaded. It is
// safe for concurrent use.
type OCREngine struct {
	cfg   OCRConfig
	slots chan struct{}

	mu      sync.Mutex
	idle    map[string][]*tessProc // by language key, e.g. "chi_sim+eng"
	filling map[string]bool        // a refill is running for this key
	closed  bool

	checkMu sync.Mutex
	checked map[string]error

	maxRSS atomic.Int64 // largest resident set of a finished tesseract process, KiB
}

// NewOCREngine returns an engine with c's settings (defaults for zero fields).
func NewOCREngine(c OCRConfig) *OCREngine {
	if c.Tesseract == "" {
		c.Tesseract = "tesseract"
	}
	if c.Workers <= 0 {
		c.Workers = runtime.NumCPU()
	}
	if c.MaxMemory <= 0 {
		c.MaxMemory = 1 << 30
	}
	if c.Nice == 0 {
		c.Nice = 10
	}
	return &OCREngine{cfg: c, slots: make(chan struct{}, c.Workers), idle: map[string][]*tessProc{}, filling: map[string]bool{}, checked: map[string]error{}}
}

var (
	defaultEngineOnce sync.Once
	defaultEngine     *OCREngine
)

// DefaultOCREngine returns the process-wide engine used when OCROptions.Engine is nil.
func DefaultOCREngine() *OCREngine {
	defaultEngineOnce.Do(func() { defaultEngine = NewOCREngine(OCRConfig{}) })
	return defaultEngine
}

// OCRInstallHint is the command that installs what OCR needs on Debian.
const OCRInstallHint = "apt-get install tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng"

// ErrOCRMissing is wrapped by Check's error when Tesseract or a language is not installed.
var ErrOCRMissing = errors.New("OCR unavailable")

// CheckOCR reports whether the default engine's Tesseract and the given languages
// (DefaultOCRLanguages when none) are installed; the error names the apt-get fix.
func CheckOCR(languages ...string) error { return DefaultOCREngine().Check(languages...) }

// Check reports whether this engine's Tesseract runs and has the given languages
// (DefaultOCRLanguages when none); the error wraps ErrOCRMissing and names the apt-get fix.
// A successful answer is remembered.
func (e *OCREngine) Check(languages ...string) error {
	if len(languages) == 0 {
		languages = DefaultOCRLanguages
	}
	key := strings.Join(languages, "+")
	e.checkMu.Lock()
	defer e.checkMu.Unlock()
	if err, ok := e.checked[key]; ok && err == nil {
		return nil
	}
	err := e.check(languages)
	e.checked[key] = err
	return err
}

func (e *OCREngine) check(languages []string) error {
	bin, err := exec.LookPath(e.cfg.Tesseract)
	if err != nil {
		return fmt.Errorf("%w: the tesseract program is not installed (%v); run: %s", ErrOCRMissing, err, OCRInstallHint)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	args := []string{"--list-langs"}
	if e.cfg.TessData != "" {
		args = append([]string{"--tessdata-dir", e.cfg.TessData}, args...)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = tessEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s --list-langs failed (%v: %s); run: %s", ErrOCRMissing, bin, err, firstLine(out), OCRInstallHint)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var missing []string
	for _, l := range languages {
		if !have[l] {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: Tesseract language data %s not installed; run: %s", ErrOCRMissing, strings.Join(missing, ", "), OCRInstallHint)
	}
	return nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// Warm starts the idle processes for languages (DefaultOCRLanguages when none) so the
// first images do not wait for Tesseract to load its data; it returns at once.
func (e *OCREngine) Warm(languages ...string) {
	if len(languages) == 0 {
		languages = DefaultOCRLanguages
	}
	go e.refill(strings.Join(languages, "+"))
}

// Close ends the idle processes; running recognitions finish. The engine must not be used after.
func (e *OCREngine) Close() {
	e.mu.Lock()
	e.closed = true
	idle := e.idle
	e.idle = map[string][]*tessProc{}
	e.mu.Unlock()
	for _, ps := range idle {
		for _, p := range ps {
			p.kill()
		}
	}
}

// acquire waits for a worker slot until ctx ends.
func (e *OCREngine) acquire(ctx context.Context) error {
	select {
	case e.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *OCREngine) release() { <-e.slots }

// proc returns a started process for langs: an idle one when there is one, else a new one.
// A replacement idle process is started in the background.
func (e *OCREngine) proc(langs string) (*tessProc, error) {
	e.mu.Lock()
	var p *tessProc
	if ps := e.idle[langs]; len(ps) > 0 {
		p = ps[len(ps)-1]
		e.idle[langs] = ps[:len(ps)-1]
	}
	e.mu.Unlock()
	go e.refill(langs)
	if p != nil {
		return p, nil
	}
	return e.start(langs)
}

// refill starts idle processes for langs until there are Workers of them; one refill
// runs per language set at a time.
func (e *OCREngine) refill(langs string) {
	e.mu.Lock()
	if e.filling[langs] {
		e.mu.Unlock()
		return
	}
	e.filling[langs] = true
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.filling[langs] = false
		e.mu.Unlock()
	}()
	for {
		e.mu.Lock()
		if e.closed || len(e.idle[langs]) >= e.cfg.Workers {
			e.mu.Unlock()
			return
		}
		e.mu.Unlock()
		p, err := e.start(langs)
		if err != nil {
			return
		}
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			p.kill()
			return
		}
		e.idle[langs] = append(e.idle[langs], p)
		e.mu.Unlock()
	}
}
