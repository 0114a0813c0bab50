# Interview diagnostics: extra targets (make diagnose / diagnose-selftest live in the root Makefile).

DEST ?= workspace/interview

.PHONY: diagnose-template
diagnose-template: setup ## Copy the blank problem templates for a candidate: make diagnose-template DEST=dir
	$(RUN) python -m diagnostics template "$(DEST)"

.PHONY: diagnose-rubric
diagnose-rubric: setup ## Regenerate diagnostics/rubric.md from the machine-readable rubric
	$(RUN) python -m diagnostics rubric --write

.PHONY: diagnose-bench
diagnose-bench: setup ## Measure how long grading takes (reference, 256 MB log): JSON + PNG in reports/
	$(RUN) python diagnostics/bench/run.py $(BENCH_OPTS)
