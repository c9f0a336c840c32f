package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/fixture"
)

// Screenshots for the OCR tests, rendered for real by headless Chromium (playwright-core
// driving Debian's chromium) from the pages of internal/fixture/screens.go, once per test
// binary, plus photographed-looking variants and real photos from a Debian package.

const shotsHint = "the OCR screenshot tests need: apt-get install -y nodejs chromium fonts-wqy-microhei lomiri-wallpapers-16.04 " +
	"tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng && (cd REPO && npm ci) (scripts/test.sh does all of it)"

// realPhotos are photographs shipped by Debian's lomiri-wallpapers-16.04 (harmless images).
var realPhotos = []string{
	"/usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg",
	"/usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg",
	"/usr/share/backgrounds/Dragonfly_by_Bolly.jpg", // 4224×3168, 13 MP
}

// shot is one test image.
type shot struct {
	name    string   // e.g. "sheet light 150% photo"
	file    string   // declared file name
	data    []byte   // PNG or JPEG
	harmful bool     // shows customers
	mobiles []string // the mobile numbers it shows
}

// The customers shown: a 40-row sheet and a 50-row CRM list (30–60 names each).
var (
	sheetCustomers = fixture.Customers(40, 3)
	crmCustomers   = fixture.Customers(50, 4)
)

var (
	shotsOnce sync.Once
	shotsDir  string
	shotsAll  []shot
	shotsErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shotsDir != "" {
		os.RemoveAll(shotsDir)
	}
	os.Exit(code)
}

// screenshots renders (once) and returns every test image.
func screenshots(t testing.TB) []shot {
	t.Helper()
	shotsOnce.Do(func() { shotsAll, shotsErr = renderShots() })
	if shotsErr != nil {
		t.Fatalf("%v\n%s", shotsErr, shotsHint)
	}
	return shotsAll
}

// shootJob is one page for shoot.mjs.
type shootJob struct {
	HTML     string  `json:"html"`
	Out      string  `json:"out"`
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	Scale    float64 `json:"scale"`
	FullPage bool    `json:"fullPage"`
}

func renderShots() ([]shot, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node is not installed")
	}
	chromium := os.Getenv("SLUICE_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		return nil, fmt.Errorf("chromium not found at %s", chromium)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "playwright-core")); err != nil {
		return nil, fmt.Errorf("playwright-core is not installed in %s/node_modules", root)
	}
	if shotsDir, err = os.MkdirTemp("", "sluice-ocr-shots-"); err != nil {
		return nil, err
	}
	type page struct {
		name, html string
		harmful    bool
		mobiles    []string
	}
	mobiles := func(cs []fixture.Customer) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Mobile)
		}
		return out
	}
	var pages []page
	for _, dark := range []bool{false, true} {
		theme := map[bool]string{false: "light", true: "dark"}[dark]
		pages = append(pages,
			page{"sheet " + theme, fixture.SheetHTML(sheetCustomers, dark), true, mobiles(sheetCustomers)},
			page{"crm " + theme, fixture.CRMHTML(crmCustomers, dark), true, mobiles(crmCustomers)},
			page{"price list " + theme, fixture.PriceListHTML(dark), false, nil})
	}
	pages = append(pages, page{"chart light", fixture.ChartHTML(false), false, nil})
	var jobs []shootJob
	var shots []shot
	for i, p := range pages {
		html := filepath.Join(shotsDir, fmt.Sprintf("page%d.html", i))
		if err := os.WriteFile(html, []byte(p.html), 0o644); err != nil {
			return nil, err
		}
		for _, z := range []struct {
			zoom   string
			w, h   int
			scale  float64
			suffix string
		}{{"100%", 1920, 1080, 1, "100"}, {"150%", 1280, 720, 1.5, "150"}} {
			out := filepath.Join(shotsDir, fmt.Sprintf("page%d_%s.png", i, z.suffix))
			jobs = append(jobs, shootJob{HTML: html, Out: out, Width: z.w, Height: z.h, Scale: z.scale, FullPage: true})
			shots = append(shots, shot{name: p.name + " " + z.zoom, file: out, harmful: p.harmful, mobiles: p.mobiles})
		}
	}
	js, _ := json.Marshal(jobs)
	jobsFile := filepath.Join(shotsDir, "jobs.json")
	if err := os.WriteFile(jobsFile, js, 0o644); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(root, "proxy", "inspect", "testdata", "ocr", "shoot.mjs"), jobsFile)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "SLUICE_CHROMIUM="+chromium)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("rendering screenshots in Chromium: %v\n%s", err, out)
	}
	var all []shot
	for i, s := range shots {
		data, err := os.ReadFile(s.file)
		if err != nil {
			return nil, err
		}
		s.data, s.file = data, fmt.Sprintf("截图%d.png", i+1)
		all = append(all, s)
		// a photographed look for every customer screen and for two harmless ones
		if s.harmful || s.name == "price list light 100%" || s.name == "chart light 100%" {
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				return nil, err
			}
			deg := []float64{2, -1.5, 3, -2.5}[i%4]
			ph := fixture.Photographed(img, deg, 1080, i)
			all = append(all, shot{name: s.name + " photo", file: fmt.Sprintf("IMG_%04d.jpg", i+1), data: fixture.JPEG(ph, 75), harmful: s.harmful, mobiles: s.mobiles})
		}
	}
	for _, p := range realPhotos {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("real photo %s missing: %v", p, err)
		}
		all = append(all, shot{name: "photo " + filepath.Base(p), file: filepath.Base(p), data: data})
	}
	return all, nil
}

// shotSize returns the pixel size of an image.
func shotSize(data []byte) (int, int) {
	c, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0
	}
	return c.Width, c.Height
}

// testBudget is the OCR budget of tests that check what is read, not how fast: generous,
// because the test machine's two cores may be shared (TestOCRBudget checks the budget);
// testLimits give the whole scan as long.
const testBudget = 3 * time.Minute

var testLimits = Limits{TimeBudget: testBudget}
