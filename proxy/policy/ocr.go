package policy

import (
	"regexp"
	"time"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"gopkg.in/yaml.v3"
)

// OCRSettings configure reading the text of images (policy inspect.ocr).
type OCRSettings struct {
	Enabled       *bool    `yaml:"enabled"`        // default true
	Languages     []string `yaml:"languages"`      // Tesseract languages, default chi_sim
	BudgetS       int      `yaml:"budget_s"`       // seconds of OCR per file, default 10
	MaxMegapixels int      `yaml:"max_megapixels"` // larger images cannot be inspected, default 40
}

// On reports whether OCR is enabled (it is unless the policy says enabled: false).
func (o OCRSettings) On() bool { return o.Enabled == nil || *o.Enabled }

// OCROptions turns the settings into the inspection engine's OCR options; StopWhen ends a file's OCR once
// the file thresholds are reached (the verdict cannot change any more).
func (p *Policy) OCROptions() inspect.OCROptions {
	o := p.Inspect.OCR
	return inspect.OCROptions{Enabled: o.On(), Languages: o.Languages, Budget: time.Duration(o.BudgetS) * time.Second,
		MaxPixels: int64(o.MaxMegapixels) * 1_000_000, StopWhen: func(found []inspect.Finding) bool {
			sens, _, _ := p.SensitiveFile(&inspect.Result{Findings: found})
			return sens
		}}
}

var tessLanguage = regexp.MustCompile(`^[A-Za-z0-9_]{2,32}$`)

// validateOCR checks the inspect.ocr section.
func (p *Policy) validateOCR(root *yaml.Node) error {
	o := p.Inspect.OCR
	at := lineOf(root, "inspect")
	for _, l := range o.Languages {
		if !tessLanguage.MatchString(l) {
			return p.problem(at, "inspect.ocr.languages 中的 %q 不是 Tesseract 语言名（如 chi_sim、eng）", "inspect.ocr.languages: %q is not a Tesseract language name (like chi_sim, eng)", l)
		}
	}
	if o.BudgetS < 0 || o.BudgetS > 300 {
		return p.problem(at, "inspect.ocr.budget_s = %d 须在 0（默认 10）到 300 之间", "inspect.ocr.budget_s = %d must be between 0 (default 10) and 300", o.BudgetS)
	}
	if o.MaxMegapixels < 0 || o.MaxMegapixels > 400 {
		return p.problem(at, "inspect.ocr.max_megapixels = %d 须在 0（默认 40）到 400 之间", "inspect.ocr.max_megapixels = %d must be between 0 (default 40) and 400", o.MaxMegapixels)
	}
	return nil
}
