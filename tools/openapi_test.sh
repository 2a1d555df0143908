#!/bin/sh
# Checks a running `ledger serve` against its /openapi.json: tools/openapi_check.py (every route,
# answers validated with jsonschema), then schemathesis (generated requests: no 5xx, no answer
# outside the schema). Makes its own venv (default .build/openapi-venv; $OPENAPI_VENV) and
# pip-installs what it needs there. Exit 77 with a line starting "SKIP:" when that cannot be
# done (no python3 -m venv, no PyPI); else 0 when everything conforms.
#
# Usage: tools/openapi_test.sh BASE_URL CAMPAIGN CONTACT [PROVIDERS_FILE] [--venv-only]
# With PROVIDERS_FILE (the server's --providers file) the provider callbacks are checked too.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${OPENAPI_VENV:-$root/.build/openapi-venv}
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv" >/dev/null 2>&1 || { echo "SKIP: python3 -m venv failed (install python3-venv)"; exit 77; }
    "$venv/bin/pip" install -q --disable-pip-version-check 'jsonschema>=4.18' 'schemathesis>=4,<5' >"$venv.log" 2>&1 \
        || { echo "SKIP: pip could not install jsonschema and schemathesis (see $venv.log)"; exit 77; }
fi
for arg in "$@"; do [ "$arg" = "--venv-only" ] && exit 0; done
base=$1 campaign=$2 contact=$3 providers=${4:-}
"$venv/bin/python" "$root/tools/openapi_check.py" "$base" "$campaign" "$contact" ${providers:+"$providers"} || exit 1
# schemathesis: requests generated from the document; a 5xx or an answer the document does not
# describe fails. It runs in a temporary directory: schemathesis keeps a cache (.schemathesis/)
# in its working directory. Its data-generation health check is off for slowness only: on a
# loaded machine the provider payload schemas tripped "data generation is too slow".
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch" || exit 1
"$venv/bin/schemathesis" run "$base/openapi.json" --url "$base" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" --phases examples,coverage,fuzzing --no-color --seed 1 --suppress-health-check=too_slow \
    --exclude-path /v1/events/stream --exclude-path /v1/rebuild
