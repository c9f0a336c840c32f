#!/usr/bin/env bash
# Runs the whole Sluice test suite on a fresh machine: installs what the tests need
# (Debian: chromium, firefox-esr, postgresql (the tests start their own server on loopback), poppler-utils, qpdf, libnss3-tools, webp, fonts, tesseract-ocr with its
# chi_sim and eng data, and lomiri-wallpapers-16.04 for real photos in the OCR tests; npm: playwright-core),
# then go vet, gofmt and every Go test (which drive real Chromium, pdftotext, qpdf, certutil).
set -euo pipefail
cd "$(dirname "$0")/.."

# tool → Debian package
declare -A pkg=(
  [chromium]=chromium [pdftotext]=poppler-utils [pdftoppm]=poppler-utils [qpdf]=qpdf
  [certutil]=libnss3-tools [node]=nodejs [npm]=npm [cwebp]=webp [tesseract]=tesseract-ocr [firefox-esr]=firefox-esr
  [convert-im6.q16]=imagemagick [pngquant]=pngquant [gs]=ghostscript [mutool]=mupdf-tools [heif-convert]=libheif-examples
)
missing=()
for tool in "${!pkg[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${pkg[$tool]}")
done
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
# file → Debian package: OCR language data, and real photos (OCR tests' harmless images, the watermark corpus)
compgen -G '/usr/share/tesseract-ocr/*/tessdata/chi_sim.traineddata' >/dev/null || missing+=(tesseract-ocr-chi-sim)
compgen -G '/usr/share/tesseract-ocr/*/tessdata/eng.traineddata' >/dev/null || missing+=(tesseract-ocr-eng)
[ -e /usr/share/backgrounds/Dragonfly_by_Bolly.jpg ] || missing+=(lomiri-wallpapers-16.04)
[ -e /usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg ] || missing+=(lomiri-wallpapers-16.04)
# PostgreSQL server programs (initdb, pg_ctl): internal/pgtest starts a throw-away server per test binary
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "installing: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "sluice: need root to install ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2; exit 2; }
    SUDO=sudo
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "== go vet"
go vet ./...
echo "== go mod tidy -diff"
go mod tidy -diff
echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt needed on:" >&2; echo "$unformatted" >&2; exit 1
fi
echo "== go test"
# one package at a time: two suites drive Chromium and the watermark harness saturates both cores;
# in parallel on a 2-core machine they starve each other (serial takes about 3 minutes)
go test -p 1 -timeout 25m -count=1 ./... "$@"
