# Stage 2 — log analytics (included by the root Makefile; paths are relative to the repo root).

STAGE2_DATA ?= data/generated/stage2
STAGE2_SIZE ?= 1GB

.PHONY: stage2-generate stage2-analyze stage2-analyze-dask stage2-follow-demo

stage2-generate: setup ## Stage 2: generate a log with ground truth (STAGE2_SIZE=1GB)
	$(RUN) python -m stage2_log_analysis generate --size $(STAGE2_SIZE) --out $(STAGE2_DATA)/access-$(STAGE2_SIZE).log

stage2-analyze: setup ## Stage 2: analyse the generated log in one process (Parquet under reports/stage2-logs)
	$(RUN) python -m stage2_log_analysis analyze $(STAGE2_DATA)/access-$(STAGE2_SIZE).log --out reports/stage2-logs

stage2-analyze-dask: setup ## Stage 2: analyse the generated log on a Dask LocalCluster (2 workers)
	$(RUN) python -m stage2_log_analysis analyze $(STAGE2_DATA)/access-$(STAGE2_SIZE).log --engine dask --workers 2 --out reports/stage2-logs

stage2-follow-demo: setup ## Stage 2: tail the generated log live for 90 s (clock=event replays it)
	$(RUN) python -m stage2_log_analysis follow $(STAGE2_DATA)/access-$(STAGE2_SIZE).log --clock event --duration 90 --out reports/stage2-live

.PHONY: stage2-anomaly-defaults
stage2-anomaly-defaults: setup ## Stage 2: sweep the detector's settings on labelled logs (bench/results/anomaly-defaults.json)
	$(RUN) python stage2_log_analysis/bench/anomaly_defaults.py
