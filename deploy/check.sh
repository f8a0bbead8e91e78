#!/usr/bin/env bash
# Validate the deployment files without a Docker engine or a cluster:
#   compose file, nginx config, Kubernetes manifests. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
# The oldest Kubernetes the manifests target (native gRPC probes need 1.27+).
K8S_VERSION=1.29.0
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
    skip "docker compose config: neither 'docker compose' nor 'docker-compose' is installed"
else
    for files in "-f docker-compose.yml" "-f docker-compose.yml -f docker-compose.gpu.yml"; do
        # shellcheck disable=SC2086 # the file flags split on purpose
        if "${compose[@]}" $files config -q; then
            pass "${compose[*]} $files config -q"
        else
            bad "${compose[*]} $files config -q"
        fi
    done
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
    if "$python" - $(find deploy/k8s -name '*.yaml' | sort) docker-compose*.yml <<'EOF'
import sys
import yaml

for path in sys.argv[1:]:
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    for doc in docs:
        if path.startswith("docker-compose"):
            if not isinstance(doc, dict) or "services" not in doc:
                sys.exit(f"{path}: no `services`")
        elif not isinstance(doc, dict) or "kind" not in doc:
            sys.exit(f"{path}: a document without `kind`")
    print(f"      {path}: {len(docs)} document(s)")
EOF
    then
        pass "YAML parse of deploy/k8s/**/*.yaml and docker-compose*.yml"
    else
        bad "YAML parse of deploy/k8s/**/*.yaml and docker-compose*.yml"
    fi
else
    bad "YAML parse: no Python with PyYAML (make install, or pip install pyyaml)"
fi
if command -v kubectl >/dev/null 2>&1; then
    validate=.venv/bin/kubernetes-validate
    for dir in deploy/k8s deploy/k8s/gpu; do
        rendered=$(mktemp)
        if kubectl kustomize "$dir" >"$rendered"; then
            pass "kubectl kustomize $dir"
            # 4. The rendered objects against the Kubernetes API schemas (offline, strict: no unknown fields).
            if [ -x "$validate" ]; then
                if "$validate" --quiet --strict -k "$K8S_VERSION" "$rendered"; then
                    pass "kubernetes-validate --strict -k $K8S_VERSION ($dir)"
                else
                    bad "kubernetes-validate --strict -k $K8S_VERSION ($dir)"
                fi
            else
                bad "kubernetes-validate: not installed (make install)"
            fi
        else
            bad "kubectl kustomize $dir"
        fi
        rm -f "$rendered"
    done
else
    skip "kubectl kustomize: kubectl is not installed"
fi

exit $fail
