# Figurine Forge — the two commands in the README are `make demo` and `make test`.
PY := .venv/bin/python
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' blender_manifest.toml)
ZIP := dist/figurine_forge-$(VERSION).zip
DEMO := out/demo

.PHONY: setup build demo test test-deps test-in-blender typecheck clean

setup:
	@bash scripts/setup.sh

# The zip bundles its third-party wheels (all listed platforms, Python 3.11 and 3.13);
# fetch_wheels.py does nothing when build/wheels.json already matches.
build: setup
	@$(PY) scripts/fetch_wheels.py
	@$(PY) scripts/build_extension.py

# The main job on the project's own sample character: views → out/demo/job/figurine.stl + report.
demo: setup
	@$(PY) scripts/figurine.py sample --out $(DEMO)/views
	@$(PY) scripts/figurine.py run --front $(DEMO)/views/front.png --back $(DEMO)/views/back.png \
	    --left $(DEMO)/views/left.png --right $(DEMO)/views/right.png --out $(DEMO)/job --height 32
	@echo "demo: $(DEMO)/job/figurine.stl and $(DEMO)/job/report.json"

# Everything CI runs: the type check, the extension build, the whole test suite in the bpy
# module, then the in-Blender part again inside Debian's real Blender 4.3.
test: build typecheck test-deps
	@$(PY) -m pytest tests
	@$(MAKE) --no-print-directory test-in-blender

# Chromium for the report screenshot test (Debian package; skipped when present).
test-deps:
	@bash scripts/install_test_deps.sh

# tests/in_blender inside Debian's real Blender 4.3 via pytest-blender (the main suite runs
# them in the bpy module), with Blender's user folders in a throw-away folder.
REAL_BLENDER := ../shared/tools/real-blender
test-in-blender: build
	@tmp=$$(mktemp -d /tmp/figurine-in-blender.XXXXXX); \
	for d in CONFIG SCRIPTS EXTENSIONS DATAFILES RESOURCES; do export BLENDER_USER_$$d=$$tmp/$$d; done; \
	$(PY) -m pytest -o addopts="" --confcutdir=tests/in_blender -p pytest-blender \
	    --blender-executable $(REAL_BLENDER) tests/in_blender; \
	rc=$$?; rm -rf $$tmp; exit $$rc

typecheck: setup
	@$(PY) -m mypy

clean:
	rm -rf build dist out test-output .pytest_cache .mypy_cache
