#!/usr/bin/env bash
# Fetch the exact pinned front-end files this book serves itself (no CDN), from the npm registry.
# Run from anywhere: `bash _vendor/fetch.sh`. It rewrites _vendor/{requirejs,html-manager,mathjax,axe-core}
# and prints a sha256 of each kept file, so a re-fetch can be compared with what is committed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
REQUIREJS=2.3.8            # require.js: the AMD loader ipywidgets' embed bundle needs
HTML_MANAGER=1.0.15        # @jupyter-widgets/html-manager: renders widget state without a kernel (ipywidgets 8.1)
MATHJAX=3.2.2              # MathJax 3, what Sphinx 7 expects
AXE=4.14.1                 # axe-core: accessibility checks in the browser tests (not served by the book)

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "requirejs@$REQUIREJS" "@jupyter-widgets/html-manager@$HTML_MANAGER" "mathjax@$MATHJAX" \
  "axe-core@$AXE" >/dev/null
for f in *.tgz; do mkdir "${f%.tgz}"; tar xzf "$f" -C "${f%.tgz}"; done

rm -rf "$here/requirejs" "$here/html-manager" "$here/mathjax" "$here/axe-core"
mkdir -p "$here/requirejs" "$here/html-manager/dist" "$here/mathjax" "$here/axe-core"

cp "requirejs-$REQUIREJS/package/require.js" "$here/requirejs/"
sed -n '/^\/\*\*/,/\*\//p' "requirejs-$REQUIREJS/package/require.js" | head -n 6 > "$here/requirejs/LICENSE"

hm="jupyter-widgets-html-manager-$HTML_MANAGER/package"
# The package ships no LICENSE file (package.json says BSD-3-Clause; see README.md); the bundle's
# third-party notices are in embed.js.LICENSE.txt.
cp "$hm/dist/embed-amd.js" "$hm/dist/embed.js.LICENSE.txt" "$here/html-manager/dist/"
# Font Awesome, which the widget CSS references; browsers take woff2 (woff as fallback), never eot/ttf/svg.
cp "$hm"/dist/*.woff2 "$hm"/dist/*.woff "$here/html-manager/dist/"

mj="mathjax-$MATHJAX/package"
cp "$mj/LICENSE" "$here/mathjax/"
cp "$mj/es5/tex-chtml.js" "$here/mathjax/"
mkdir -p "$here/mathjax/output/chtml/fonts" "$here/mathjax/input/tex"
cp -r "$mj/es5/output/chtml/fonts/woff-v2" "$here/mathjax/output/chtml/fonts/"
# TeX packages MathJax autoloads on first use (\boldsymbol, \cancel, ...), so any formula renders offline.
cp -r "$mj/es5/input/tex/extensions" "$here/mathjax/input/tex/"

cp "axe-core-$AXE/package/axe.min.js" "axe-core-$AXE/package/LICENSE" "$here/axe-core/"

cd "$here" && find requirejs html-manager mathjax axe-core -type f | sort | xargs sha256sum > SHA256SUMS
echo "fetched requirejs@$REQUIREJS @jupyter-widgets/html-manager@$HTML_MANAGER mathjax@$MATHJAX axe-core@$AXE into $here"
