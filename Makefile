# Figurine Forge — the two commands in the README are `make demo` and `make test`.
PY := .venv/bin/python
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' blender_manifest.toml)
ZIP := dist/figurine_forge-$(VERSION).zip
DEMO := out/demo

.PHONY: setup build demo test test-fast typecheck clean

setup:
	@bash scripts/setup.sh

build: setup
	@$(PY) scripts/build_extension.py

# The main job on the project's own sample character: views → out/demo/job/figurine.stl + report.
demo: setup
	@$(PY) scripts/figurine.py sample --out $(DEMO)/views
	@$(PY) scripts/figurine.py run --front $(DEMO)/views/front.png --back $(DEMO)/views/back.png \
	    --left $(DEMO)/views/left.png --right $(DEMO)/views/right.png --out $(DEMO)/job --height 32
	@echo "demo: $(DEMO)/job/figurine.stl and $(DEMO)/job/report.json"

# Everything CI runs: the type check, the extension build, the whole test suite.
test: build typecheck
	@$(PY) -m pytest tests

typecheck: setup
	@$(PY) -m mypy

clean:
	rm -rf build dist out test-output .pytest_cache .mypy_cache
