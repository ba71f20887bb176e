#!/usr/bin/env bash
# Regenerates ../vectors.json from the real implementations. Not needed to run the tests.
#
#   npm packages (exact versions in package.json / package-lock.json): scrypt-kdf, bcryptjs
#   (3.x writes $2b$, 2.x writes $2a$) and argon2 (a native addon, built at npm ci).
#   PYTHON: a Python with Werkzeug (default python3).
#   DJANGO_PYTHON: the Python for the Django script (default PYTHON); if it can import
#   Django, every Django verdict is cross-checked against Django's own hashers.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
DJANGO_PYTHON=${DJANGO_PYTHON:-$PYTHON}

[ -d node_modules ] || npm ci
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

node gen-node.mjs >"$tmp/node.json"
"$PYTHON" gen_werkzeug.py >"$tmp/werkzeug.json"
"$DJANGO_PYTHON" gen_django.py >"$tmp/django.json"

"$PYTHON" - "$tmp" >../vectors.json <<'EOF'
import json, platform, subprocess, sys
tmp = sys.argv[1]
vectors = []
for name in ("node", "werkzeug", "django"):
    with open(f"{tmp}/{name}.json") as f:
        vectors += json.load(f)
node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
print('{"generated_with": ' + json.dumps({
    "node": node,
    "python": platform.python_version(),
    "sources": sorted({v["source"] for v in vectors}),
}, ensure_ascii=False) + ',\n "vectors": [')
print(",\n".join("  " + json.dumps(v, ensure_ascii=False) for v in vectors))
print(" ]\n}")
EOF
echo "wrote $(grep -c '"format"' ../vectors.json) vectors to testdata/vectors.json" >&2
