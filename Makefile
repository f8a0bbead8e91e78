# The two commands of the README, and the helpers behind them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
STAMP  := $(VENV)/.installed
MODEL  := models/w600k_mbf.onnx
LOCAL  := protos libs/common libs/devstack gateway detector-service embedder-service registry-service stream-service client
PYPROJECTS := $(addsuffix /pyproject.toml,$(LOCAL))

.PHONY: run test deploy-test test-tools install models models-r100 lint format protos lock bench load search-bench embedder-bench detector-bench accuracy clean

run: install models  ## serve the gateway on http://127.0.0.1:8000 with every service behind it
	$(BIN)/python -m facerec_devstack

test: lint models test-tools  ## lint, types, then the whole test suite; then nothing it started may be left
	$(BIN)/python -m pytest; status=$$?; scripts/check_leftovers.sh || exit 1; exit $$status

deploy-test: install  ## the compose stack in real containers (podman): images from nothing, traffic through nginx, replicas killed
	deploy/test/setup_podman.sh
	deploy/test/build_standins.sh
	$(UV) pip install --python $(BIN)/python --quiet podman-compose==1.6.0
	PYTHONPATH=deploy/test $(BIN)/python -m pytest deploy/test -p no:cacheprovider --timeout 1800 -v

test-tools:  ## real parts the tests drive (nginx, Prometheus, Chromium, kubectl), installed where missing and possible
	@scripts/install_test_tools.sh

install: $(STAMP)

$(STAMP): requirements/dev.txt $(PYPROJECTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(UV) pip install --python $(BIN)/python --quiet -r requirements/dev.txt
	$(UV) pip install --python $(BIN)/python --quiet --no-deps $(addprefix -e ,$(LOCAL))
	# Reference only (tests compare our alignment and embedding with it); its own
	# dependency list pulls the non-headless OpenCV that breaks the headless one.
	$(UV) pip install --python $(BIN)/python --quiet --no-deps insightface==2.1
	# The stream service's tracker; its metadata asks for the non-headless OpenCV (see stream-service/pyproject.toml).
	$(UV) pip install --python $(BIN)/python --quiet --no-deps trackers==2.6.1
	touch $(STAMP)

models: $(MODEL)

$(MODEL): | $(STAMP)
	$(BIN)/python -m facerec_embedder.fetch models

models-r100: install  ## production model; needs the internet
	$(BIN)/python -m facerec_embedder.fetch --r100 models

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bench scripts examples deploy/test client/src libs/common/src libs/devstack/src gateway/src detector-service/src embedder-service/src registry-service/src stream-service/src

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

protos: install  ## regenerate the committed stubs after editing protos/
	$(BIN)/python protos/generate.py

lock: install  ## re-pin third-party packages
	$(UV) pip compile --quiet --python-version 3.11 requirements/runtime.in -o requirements/runtime.txt
	$(UV) pip compile --quiet --python-version 3.11 requirements/dev.in -o requirements/dev.txt
	$(UV) pip compile --quiet --python-version 3.11 requirements/gpu.in -o requirements/gpu.txt

accuracy: install models  ## recognition accuracy report through the running services (bench/accuracy.py)
	$(BIN)/python bench/accuracy.py

bench: install models  ## end-to-end benchmark: HTTP API vs in-process pipeline
	$(BIN)/python bench/e2e.py

load: install models  ## sustained mixed load (identify/enrol/list): throughput, latency, errors, memory
	$(BIN)/python bench/load.py $(LOAD_ARGS)

search-bench: install models  ## search latency and recall at scale: import N synthetic faces, index vs exact
	$(BIN)/python bench/search.py $(SEARCH_ARGS)

models/r100-random.onnx: $(STAMP)
	$(BIN)/python scripts/build_r100_onnx.py --out $@

embedder-bench: install models models/r100-random.onnx  ## embedder faces/s per batch (MBF, R100 with random weights), batching on vs off
	$(BIN)/python bench/embedder.py --model $(MODEL) --model models/r100-random.onnx $(EMBEDDER_ARGS)

detector-bench: install  ## detector photos/s: our MTCNN on ONNX Runtime vs the mtcnn package on TensorFlow
	$(BIN)/python bench/detector.py $(DETECTOR_ARGS)

clean:
	rm -rf $(VENV) .data
