package daemon

import (
	"github.com/sluice-dlp/sluice/proxy/inspect"
)

// startOCR makes the daemon's Tesseract pool and warms it; without Tesseract it says how to install it
// (images that look like text then get the policy's "can't inspect" verdict).
func (d *Daemon) startOCR() {
	d.ocr = inspect.NewOCREngine(inspect.OCRConfig{})
	o := d.Policy.Inspect.OCR
	if !o.On() {
		d.log.Info("OCR is off (policy inspect.ocr.enabled: false): text in images is not read")
		return
	}
	if err := d.ocr.Check(o.Languages...); err != nil {
		d.log.Warn("text in images cannot be read; such images will be held as uninspectable", "err", err, "fix", inspect.OCRInstallHint)
		return
	}
	d.ocr.Warm(o.Languages...)
}
