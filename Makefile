# Data Science Production Master Roadmap — one Makefile for the whole workspace.
# `make` (or `make help`) lists every target. Each target installs what it needs first.

SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON ?= 3.11
# uv from PATH, or the copy `make setup` installs with pip (`python3 -m uv`).
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN := $(UV) run --frozen
IMPL ?=
IMPL_ROOT ?= workspace
GRADE_OPTS ?=
FIDELITY_OPTS ?=
REPORTS ?= reports

STAGES := stage1 stage2 stage3 stage4 stage5
MEMBERS := opskit gradekit stage1_validation stage2_log_analysis stage3_mlops stage4_pipelines stage5_api diagnostics demo \
	stage1_validation/grading stage2_log_analysis/grading stage3_mlops/grading stage4_pipelines/grading stage5_api/grading
TEST_DIRS := $(MEMBERS) deploy scripts
stage_dir = $(firstword $(wildcard $(1)_*/))

##@ Setup

.PHONY: help
help: ## Show every target with one line of help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m [IMPL=...] [GRADE_OPTS=...]\nTargets are named <verb>-stageN (check-stage2, bench-stage3, serve-stage5); a few act on the whole repo (test, lint, docs, docker-base).\n"} \
	  /^[a-zA-Z0-9_.-]+:.*?##/ { printf "  \033[36m%-26s\033[0m %s\n", $$1, $$2 } \
	  /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

.PHONY: .uv
.uv: # uv itself: installed with pip when missing (never downloads a Python)
	@$(UV) --version >/dev/null 2>&1 || { echo "uv not found: installing it with pip"; python3 -m pip install --quiet uv; }

.PHONY: setup
setup: .uv ## Install the locked environment (idempotent; seconds when already done)
	@# --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set (as on CI machines) no .pyc is
	@# ever written, and every Python process (tests, graders, Airflow tasks, workers) compiles
	@# its imports again: importing mlflow, pandas, polars, dask and fastapi took 6.3 s, 2.5 s
	@# with bytecode. Compiled once at install (~40 s), checked in a second afterwards.
	@$(UV) sync --frozen --quiet --compile-bytecode
	@mkdir -p $(REPORTS)

##@ Quality

.PHONY: test
test: setup ## Run every package's test suite (needs PostgreSQL and Redis on 127.0.0.1)
	@UV="$(UV)" bash scripts/test.sh $(TEST_DIRS)

.PHONY: test-lowest
test-lowest: setup ## Each member's quick tests at its declared lower bounds (own venvs; minutes; LOWEST_OPTS="stage5_api --index-opts=...")
	$(RUN) python scripts/test_lowest.py $(LOWEST_OPTS)

.PHONY: test-docker
test-docker: setup docker-engine ## The tests that build and run images on a real Docker engine (minutes)
	$(RUN) pytest deploy/tests -m docker -p no:cacheprovider

.PHONY: lint
lint: setup ## ruff (format + lint) and mypy on every package's src
	$(RUN) ruff format --check .
	$(RUN) ruff check .
	$(RUN) mypy $(foreach m,$(MEMBERS),$(m)/src)
	$(RUN) python scripts/render_results.py --check

.PHONY: docs docs-check
docs: ## Fill the figures in the docs from the committed result files (scripts/render_results.py)
	$(RUN) python scripts/render_results.py
docs-check: ## Fail when a figure in the docs differs from its result file (part of make lint)
	$(RUN) python scripts/render_results.py --check

.PHONY: format
format: setup ## Format and auto-fix with ruff
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

##@ Grading (IMPL=<module|file|folder> grades your implementation instead of ours)

.PHONY: check
check: setup ## Grade every stage and print one scorecard per stage, then a summary
	@for s in $(STAGES); do $(MAKE) --no-print-directory check-$$s || true; done
	@$(RUN) python -m gradekit summary --out $(REPORTS)

.PHONY: $(addprefix check-,$(STAGES))
check-stage1: setup ## Grade stage 1 (data validation library)
check-stage2: setup ## Grade stage 2 (log analytics; GRADE_OPTS="--opt size=1GB" for a smaller file)
check-stage3: setup ## Grade stage 3 (MLOps recommender)
check-stage4: setup ## Grade stage 4 (Airflow & Prefect pipelines)
check-stage5: setup ## Grade stage 5 (prediction API)
$(addprefix check-,$(STAGES)):
	$(RUN) python -m gradekit check $(@:check-%=%) --out $(REPORTS) $(if $(IMPL),--impl "$(IMPL)") $(GRADE_OPTS)

.PHONY: fidelity
fidelity: setup ## The graders' own mutation suite: every case of every stage, "N/M judged right" (long)
	$(RUN) python -m gradekit fidelity --out $(REPORTS) --strict $(FIDELITY_OPTS)

.PHONY: $(addprefix fidelity-,$(STAGES)) fidelity-diagnostics
fidelity-stage1: setup ## Stage 1's fidelity suite (likewise fidelity-stage2 ... fidelity-stage5, fidelity-diagnostics)
$(addprefix fidelity-,$(STAGES)) fidelity-diagnostics: setup
	$(RUN) python -m gradekit fidelity $(@:fidelity-%=%) --out $(REPORTS) --strict $(FIDELITY_OPTS)

.PHONY: progress
progress: setup ## Where IMPL_ROOT (default workspace) stands against the roadmap's five checkpoints
	$(RUN) python -m gradekit progress --out $(REPORTS) --impl-root "$(IMPL_ROOT)"

##@ Benchmarks (long: minutes to tens of minutes)

.PHONY: $(addprefix bench-,$(STAGES))
bench-stage1: setup ## Benchmark stage 1 against hand-written DuckDB SQL and Polars, pandera and Soda (GX on request)
bench-stage2: setup ## Benchmark stage 2 (local, Dask, naive pandas, DuckDB) on a generated log
bench-stage3: setup ## Benchmark stage 3's models (time and ranking quality)
bench-stage4: setup ## Reliability experiment of stage 4 (3000+ simulated days)
bench-stage5: setup ## Load-test stage 5 against the naive roadmap endpoint
$(addprefix bench-,$(STAGES)):
	$(RUN) python "$(call stage_dir,$(@:bench-%=%))bench/run.py" $(BENCH_OPTS)

##@ Learners

.PHONY: $(addprefix start-,$(STAGES))
start-stage1: setup ## Copy stage 1's exercise skeleton into workspace/stage1
start-stage2: setup ## Copy stage 2's exercise skeleton into workspace/stage2
start-stage3: setup ## Copy stage 3's exercise skeleton into workspace/stage3
start-stage4: setup ## Copy stage 4's exercise skeleton into workspace/stage4
start-stage5: setup ## Copy stage 5's exercise skeleton into workspace/stage5
$(addprefix start-,$(STAGES)):
	$(RUN) python -m gradekit start $(@:start-%=%)

.PHONY: demo
demo: setup ## The live demo: every stage end to end on generated data
	$(RUN) python -m demo

##@ Interviews

.PHONY: diagnose
diagnose: setup ## Grade a candidate's folder: make diagnose CANDIDATE=path/to/dir
	@if [ -z "$(CANDIDATE)" ]; then echo "usage: make diagnose CANDIDATE=path/to/dir"; exit 2; fi
	$(RUN) python -m diagnostics grade "$(CANDIDATE)"

.PHONY: diagnose-selftest
diagnose-selftest: setup ## The interview scorer's self-test (the same suite as make fidelity-diagnostics)
	$(RUN) python -m diagnostics selftest

##@ Housekeeping

.PHONY: clean
clean: ## Remove reports, caches and generated data (keeps the environment and workspace/)
	rm -rf $(REPORTS) .pytest_cache .mypy_cache .ruff_cache data/generated
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# Stage-specific targets (mlflow-server, airflow-standalone, serve, ...) live beside each stage.
-include $(wildcard */stage.mk)
