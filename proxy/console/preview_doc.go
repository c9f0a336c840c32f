package console

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/store"
)

// A reviewer sees what they approve: the first rows of a spreadsheet, the first paragraphs of a document,
// the text OCR read from an image, and which customer-list entries matched, all masked. The console reads
// the kept file again with the daemon's scanner (the audit record keeps only counts), so the work is
// bounded: files over docMaxSize are not read, docWorkers scans run at once, each within the scanner's
// own limits and docTimeout, a page waits at most docPageWait (then says the preview is coming), and
// results are cached by file.
const (
	docMaxSize   = 64 << 20
	docWorkers   = 2
	docTimeout   = 30 * time.Second
	docPageWait  = 4 * time.Second
	docCacheSize = 128
	docQueue     = 16 // scans waiting or running at once; more files wait for a later view
	docRows      = 12 // table rows shown
	docCols      = 10 // table columns shown
	docCell      = 40 // runes per cell
	docParas     = 12 // paragraphs or lines shown
	docOCRRunes  = 600
	docNames     = 5 // masked customer names shown
)

// docPreview is what the request page shows of one file's content.
type docPreview struct {
	Rows      [][]string // spreadsheet rows (the first is usually the header)
	Paras     []string   // document paragraphs or text lines
	OCR       string     // text read from images
	Customers int        // customer-list entries matched
	Names     []string   // some of them, masked (上海****公司)
	More      bool       // only the beginning is shown
	Note      string     // message key when there is nothing to show: doc_pending, doc_too_large, doc_failed, doc_empty
}

// docJob is one scan, shared by every page that asks for the same file meanwhile.
type docJob struct {
	done chan struct{}
	doc  *docPreview
}

// docPreviews runs and caches content previews.
type docPreviews struct {
	mu      sync.Mutex
	jobs    map[string]*docJob // by blob; kept as the cache once done
	order   []string
	queued  int           // scans started and not finished
	wait    time.Duration // how long a page waits for the scans (docPageWait)
	slots   chan struct{}
	scanner func() *inspect.Scanner
}

func newDocPreviews(scanner func() *inspect.Scanner) *docPreviews {
	return &docPreviews{jobs: map[string]*docJob{}, slots: make(chan struct{}, docWorkers), scanner: scanner, wait: docPageWait}
}

// scannerFor returns the daemon's scanner, or one built from the policy and the store (a console alone).
func scannerFor(c Config) func() *inspect.Scanner {
	var once sync.Once
	var own *inspect.Scanner
	return func() *inspect.Scanner {
		if c.Ops != nil && c.Ops.Scanner != nil {
			if sc := c.Ops.Scanner(); sc != nil {
				return sc
			}
		}
		once.Do(func() {
			if c.Ops == nil || c.Ops.Policy == nil {
				return
			}
			if opts, err := ops.ScannerOptions(c.Ops.Policy, c.DB); err == nil {
				own = inspect.NewScanner(opts)
			}
		})
		return own
	}
}

// previews returns the preview of each file, waiting at most docPageWait in all for the scans.
func (d *docPreviews) previews(ctx context.Context, db *store.DB, files []store.FileRecord) []*docPreview {
	out := make([]*docPreview, len(files))
	jobs := make([]*docJob, len(files))
	for i, f := range files {
		if f.Size > docMaxSize {
			out[i] = &docPreview{Note: "doc_too_large"}
			continue
		}
		jobs[i] = d.start(db, f)
	}
	t := time.NewTimer(d.wait)
	defer t.Stop()
	for i, j := range jobs {
		if j == nil {
			continue
		}
		select {
		case <-j.done:
			out[i] = j.doc
			continue
		case <-t.C:
		case <-ctx.Done():
		}
		out[i] = &docPreview{Note: "doc_pending"}
		t.Reset(0) // the deadline passed: the rest get "pending" unless already done
	}
	for i, j := range jobs {
		if j != nil && out[i].Note == "doc_pending" {
			select {
			case <-j.done:
				out[i] = j.doc
			default:
			}
		}
	}
	return out
}

// start returns the scan of f, starting it unless one is cached or running; too many queued scans
// (a flood of files) get a job that never finishes, so the page says "pending" and nothing piles up.
func (d *docPreviews) start(db *store.DB, f store.FileRecord) *docJob {
	key := blobID(f)
	d.mu.Lock()
	defer d.mu.Unlock()
	if j, ok := d.jobs[key]; ok {
		return j
	}
	if d.queued >= docQueue {
		return &docJob{done: make(chan struct{})}
	}
	j := &docJob{done: make(chan struct{})}
	d.jobs[key] = j
	d.order = append(d.order, key)
	for len(d.order) > docCacheSize {
		delete(d.jobs, d.order[0])
		d.order = d.order[1:]
	}
	d.queued++
	go d.run(j, db, f)
	return j
}

// run scans one kept file in the background (its own deadline: a page that stopped waiting does not
// cancel it, so the next view finds the result).
func (d *docPreviews) run(j *docJob, db *store.DB, f store.FileRecord) {
	defer close(j.done)
	defer func() {
		d.mu.Lock()
		d.queued--
		d.mu.Unlock()
	}()
	j.doc = &docPreview{Note: "doc_failed"}
	defer func() { recover() }() // a scanner bug shows "cannot preview", never takes the console down
	d.slots <- struct{}{}
	defer func() { <-d.slots }()
	sc := d.scanner()
	if sc == nil {
		return
	}
	r, err := db.OpenBlob(blobID(f))
	if err != nil {
		return
	}
	defer r.Close()
	st, err := r.Stat()
	if err != nil || st.Size() > docMaxSize {
		j.doc.Note = "doc_too_large"
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), docTimeout)
	defer cancel()
	res, err := sc.Scan(ctx, r, st.Size(), f.Name)
	if err != nil {
		return
	}
	j.doc = previewOf(res)
}

// previewOf turns a scan result into what the page shows; every text is masked (again: digits the
// detectors did not take for a phone or ID number are starred too).
func previewOf(res *inspect.Result) *docPreview {
	d := &docPreview{}
	lines := strings.Split(strings.TrimSpace(res.Excerpt), "\n")
	d.More = res.ExcerptMore
	if res.ExcerptCut && len(lines) > 1 {
		lines = lines[:len(lines)-1] // the excerpt was cut inside its last line
	}
	if len(lines) == 1 && lines[0] == "" {
		lines = nil
	}
	switch res.Type {
	case "xlsx", "xls", "xlsb", "xlsm", "ods", "csv", "tsv", "et":
		for _, l := range lines {
			if len(d.Rows) == docRows {
				d.More = true
				break
			}
			cells := strings.Split(l, "\t")
			if len(cells) > docCols {
				cells, d.More = cells[:docCols], true
			}
			for i, c := range cells {
				cells[i] = clip(maskText(c), docCell)
			}
			d.Rows = append(d.Rows, cells)
		}
	default:
		for _, l := range lines {
			if strings.TrimSpace(l) == "" {
				continue
			}
			if len(d.Paras) == docParas {
				d.More = true
				break
			}
			d.Paras = append(d.Paras, maskText(strings.ReplaceAll(l, "\t", "  ")))
		}
	}
	if res.OCR != nil && strings.TrimSpace(res.OCR.Text) != "" {
		d.OCR = clip(maskText(strings.TrimSpace(res.OCR.Text)), docOCRRunes)
		if len(d.Rows) == 0 {
			d.Paras = nil // for an image the excerpt is the OCR text again
		}
	}
	for _, f := range res.Findings {
		if f.Kind != inspect.KindCustomer {
			continue
		}
		d.Customers += f.Count
		for _, s := range f.Samples {
			if len(d.Names) < docNames && s.Value != "" {
				d.Names = append(d.Names, s.Value)
			}
		}
	}
	if len(d.Rows) == 0 && len(d.Paras) == 0 && d.OCR == "" && d.Customers == 0 {
		d.Note = "doc_empty"
	}
	return d
}

// clip shortens s to n runes, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// Summary says how many customer-list entries matched.
func (d *docPreview) Summary(p *page) string {
	if d.Customers == 0 {
		return ""
	}
	return fmt.Sprintf(p.T("doc_customers"), d.Customers)
}
