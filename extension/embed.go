package extension

import "embed"

// Files are the extension's runtime files (manifest.json at the root), packed by 'sluice deploy browser-policy'.
//
//go:embed manifest.json schema.json *.js *.html style.css _locales icons
var Files embed.FS
