# Stage 2 — log analytics (included by the root Makefile; paths are relative to the repo root).

STAGE2_DATA ?= data/generated/stage2
STAGE2_SIZE ?= 1GB

.PHONY: generate-stage2 analyze-stage2 analyze-dask-stage2 follow-stage2

generate-stage2: setup ## Stage 2: generate a log with ground truth (STAGE2_SIZE=1GB)
	$(RUN) python -m stage2_log_analysis generate --size $(STAGE2_SIZE) --out $(STAGE2_DATA)/access-$(STAGE2_SIZE).log

analyze-stage2: setup ## Stage 2: analyse the generated log in one process (Parquet under reports/stage2-logs)
	$(RUN) python -m stage2_log_analysis analyze $(STAGE2_DATA)/access-$(STAGE2_SIZE).log --out reports/stage2-logs

analyze-dask-stage2: setup ## Stage 2: analyse the generated log on a Dask LocalCluster (2 workers)
	$(RUN) python -m stage2_log_analysis analyze $(STAGE2_DATA)/access-$(STAGE2_SIZE).log --engine dask --workers 2 --out reports/stage2-logs

follow-stage2: setup ## Stage 2: tail the generated log live for 90 s (clock=event replays it)
	$(RUN) python -m stage2_log_analysis follow $(STAGE2_DATA)/access-$(STAGE2_SIZE).log --clock event --duration 90 --out reports/stage2-live

.PHONY: tune-anomaly-stage2
tune-anomaly-stage2: setup ## Stage 2: sweep the detector's settings on labelled logs (bench/results/anomaly-defaults.json)
	$(RUN) python stage2_log_analysis/bench/anomaly_defaults.py
