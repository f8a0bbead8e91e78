#!/usr/bin/env bash
# Validate the deployment files without a Docker engine or a cluster:
#   compose file, nginx config, Kubernetes manifests. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
pass() { echo "PASS  $*"; }
skip() { echo "SKIP  $*"; }
bad() { echo "FAIL  $*"; fail=1; }

# 1. Compose: schema, interpolation, depends_on targets (the CLI plugin or the standalone v2 binary).
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
else
    compose=()
fi
if [ ${#compose[@]} -eq 0 ]; then
    bad "docker compose: neither 'docker compose' nor 'docker-compose' is installed"
elif "${compose[@]}" -f docker-compose.yml config -q; then
    pass "${compose[*]} config -q"
else
    bad "${compose[*]} config -q"
fi

# 2. nginx: nginx -t resolves upstream hosts, and `gateway` only exists inside
#    compose, so test a copy that points the upstream at 127.0.0.1.
if command -v nginx >/dev/null 2>&1; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    sed 's/server gateway:/server 127.0.0.1:/' deploy/nginx/nginx.conf >"$tmp/nginx.conf"
    if grep -q 'server 127.0.0.1:8000;' "$tmp/nginx.conf" && nginx -q -t -c "$tmp/nginx.conf"; then
        pass "nginx -t (upstream gateway -> 127.0.0.1)"
    else
        bad "nginx -t (upstream gateway -> 127.0.0.1)"
    fi
else
    skip "nginx -t: nginx is not installed (apt-get install nginx)"
fi

# 3. Kubernetes: every manifest parses as YAML; rendered with kustomize when kubectl is here.
python=python3
[ -x .venv/bin/python ] && python=.venv/bin/python
if "$python" -c 'import yaml' 2>/dev/null; then
    if "$python" - $(find deploy/k8s -name '*.yaml' | sort) <<'EOF'
import sys
import yaml

for path in sys.argv[1:]:
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc:
            sys.exit(f"{path}: a document without `kind`")
    print(f"      {path}: {len(docs)} document(s)")
EOF
    then
        pass "YAML parse of deploy/k8s/**/*.yaml"
    else
        bad "YAML parse of deploy/k8s/**/*.yaml"
    fi
else
    bad "YAML parse: no Python with PyYAML (make install, or pip install pyyaml)"
fi
if command -v kubectl >/dev/null 2>&1; then
    for dir in deploy/k8s deploy/k8s/gpu; do
        if kubectl kustomize "$dir" >/dev/null; then
            pass "kubectl kustomize $dir"
        else
            bad "kubectl kustomize $dir"
        fi
    done
else
    skip "kubectl kustomize: kubectl is not installed"
fi

exit $fail
