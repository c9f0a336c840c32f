#!/bin/sh
# Rebuilds wqy-microhei-gbk.ttf from the Debian fonts-wqy-microhei package.
# Needs: fonts-wqy-microhei, python3-fonttools (pyftsubset). Run from this directory.
set -eu
SRC=${SRC:-/usr/share/fonts/truetype/wqy/wqy-microhei.ttc}
/usr/bin/python3 - "$SRC" <<'PY'
import sys
from fontTools.ttLib import TTCollection
# Face 0 is "WenQuanYi Micro Hei" (proportional); face 1 is the Mono variant.
TTCollection(sys.argv[1]).fonts[0].save("face0.ttf")
# Every code point that GBK can encode (covers rare name characters such as 堃),
# plus printable ASCII and general punctuation.
cps = set(range(0x20, 0x7F)) | set(range(0x2000, 0x2070)) | {0x00B7, 0x00A0}
for cp in range(0x80, 0x10000):
    if 0xD800 <= cp <= 0xDFFF:
        continue
    try:
        chr(cp).encode("gbk")
        cps.add(cp)
    except UnicodeEncodeError:
        pass
with open("unicodes.txt", "w") as f:
    f.write(",".join("U+%04X" % c for c in sorted(cps)))
PY
pyftsubset face0.ttf --unicodes-file=unicodes.txt --output-file=wqy-microhei-gbk.ttf \
  --layout-features='*' --no-hinting --drop-tables+=DSIG --name-IDs='*' --name-languages='*'
rm -f face0.ttf unicodes.txt
gzip -9 -n -f wqy-microhei-gbk.ttf   # embedded compressed: wqy-microhei-gbk.ttf.gz
ls -l wqy-microhei-gbk.ttf.gz
