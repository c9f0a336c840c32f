package daemon

import (
	"fmt"

	"github.com/sluice-dlp/sluice/proxy/console"
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
		d.warnings = append(d.warnings, console.Warning{Code: "ocr_missing",
			ZH: fmt.Sprintf("无法识别图片中的文字（%v）：截图等看起来含文字的图片将按策略的「无法检查」处理（个人渠道默认需审批）。请安装：sudo %s", err, inspect.OCRInstallHint),
			EN: fmt.Sprintf("text in images cannot be read (%v): images that look like text get the policy's \"can't inspect\" rule (approval on personal channels by default). Install: sudo %s", err, inspect.OCRInstallHint)})
		return
	}
	d.ocr.Warm(o.Languages...)
}
