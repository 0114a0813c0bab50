# Stage 1 (data validation) targets; included by the root Makefile. Paths are relative to the repo root.

##@ Stage 1 — data validation

S1_DATA ?= data/generated/stage1/orders.csv

.PHONY: generate-stage1
generate-stage1: setup ## Stage 1: generate a small orders CSV with injected errors (S1_ROWS=100000)
	$(RUN) python stage1_validation/bench/make_data.py --rows $${S1_ROWS:-100000} --out $(S1_DATA) --rules-out data/generated/stage1/orders_rules.yaml

.PHONY: validate-stage1
validate-stage1: stage1-demo-data ## Stage 1: validate the demo CSV, write an HTML report and a quarantine folder
	@mkdir -p reports/stage1
	$(RUN) python -m stage1_validation validate $(S1_DATA) --rules data/generated/stage1/orders_rules.yaml \
	  --report reports/stage1/orders_report.html --quarantine reports/stage1/quarantine || true

.PHONY: bench-peers-stage1
bench-peers-stage1: ## Stage 1: create the benchmark's separate venv with pandera, Great Expectations and Soda Core
	$(RUN) python stage1_validation/bench/peers.py setup
