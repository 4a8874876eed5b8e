# Figurine Forge — the two commands in the README are `make demo` and `make test`.
PY := .venv/bin/python
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' blender_manifest.toml)
DEMO := out/demo

.PHONY: setup matrix build demo test test-deps test-in-blender typecheck clean

setup:
	@bash scripts/setup.sh

# One bpy venv per Blender version of the test matrix (scripts/blender_matrix.txt), in
# ~/.cache/figurine-forge/venvs; a stamp per venv makes a second run a no-op.
matrix:
	@bash scripts/setup_matrix.sh >/dev/null

# One zip per (Python, platform), each with only its own wheels; the build prints each zip's
# size. fetch_wheels.py does nothing when build/wheels.json already matches.
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
# module (with the operator chain in every Blender of the matrix, tests/test_version_matrix.py),
# then the in-Blender part again inside the real Blender binary. The real Blender is $BLENDER,
# else `blender` on PATH, else Debian's 4.3 that scripts/real_blender.sh installs in a chroot.
test: build typecheck test-deps matrix
	@$(PY) -m pytest tests; rc=$$?; $(PY) scripts/compat_table.py --check; exit $$rc
	@$(MAKE) --no-print-directory test-in-blender

# Chromium for the report screenshot test (Debian package; skipped when present).
test-deps:
	@bash scripts/install_test_deps.sh

# tests/in_blender inside the real Blender binary via pytest-blender (the main suite runs
# them in the bpy module), with Blender's user folders in a throw-away folder.
test-in-blender: build
	@tmp=$$(mktemp -d /tmp/figurine-in-blender.XXXXXX); \
	for d in CONFIG SCRIPTS EXTENSIONS DATAFILES RESOURCES; do export BLENDER_USER_$$d=$$tmp/$$d; done; \
	$(PY) -m pytest -o addopts="" --confcutdir=tests/in_blender -p pytest-blender \
	    --blender-executable "$$($(PY) tests/blender_env.py)" tests/in_blender; \
	rc=$$?; rm -rf $$tmp; exit $$rc

typecheck: setup
	@$(PY) -m mypy

clean:
	rm -rf build dist out test-output .pytest_cache .mypy_cache
