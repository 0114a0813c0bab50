##@ Stage 4 — pipelines (Airflow 3 & Prefect 3)

S4_DATA := data/stage4
# a throw-away home works too: make run-airflow-stage4 S4_AIRFLOW_HOME=/tmp/airflow-s4
S4_AIRFLOW_HOME ?= $(CURDIR)/$(S4_DATA)/airflow
S4_AIRFLOW_ENV := AIRFLOW_HOME=$(S4_AIRFLOW_HOME) \
	AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/stage4_pipelines/dags \
	AIRFLOW__CORE__LOAD_EXAMPLES=False
START ?=
END ?=
ENGINE ?= prefect

.PHONY: serve-upstream-stage4
serve-upstream-stage4: setup ## Stage 4: serve the fake e-commerce upstream on 127.0.0.1:8765
	$(RUN) python -m stage4_pipelines upstream --port 8765

.PHONY: run-airflow-stage4
run-airflow-stage4: setup ## Stage 4: Airflow 3 (scheduler + UI on 127.0.0.1:8080) with the ecommerce_etl DAG
	mkdir -p $(S4_AIRFLOW_HOME)
	$(S4_AIRFLOW_ENV) AIRFLOW__API__HOST=127.0.0.1 $(RUN) airflow standalone

.PHONY: serve-prefect-stage4
serve-prefect-stage4: setup ## Stage 4: serve the Prefect flow on its cron (02:00 Asia/Seoul); needs `prefect server start`
	$(RUN) python -c "from stage4_pipelines.prefect_flow import serve; serve()"

.PHONY: backfill-stage4
backfill-stage4: setup ## Stage 4: reprocess a range: make backfill-stage4 START=2024-01-01 END=2024-01-07 [ENGINE=airflow|prefect|core]
	@if [ -z "$(START)" ] || [ -z "$(END)" ]; then echo "usage: make backfill-stage4 START=YYYY-MM-DD END=YYYY-MM-DD [ENGINE=prefect]"; exit 2; fi
	$(S4_AIRFLOW_ENV) $(RUN) python -m stage4_pipelines backfill --start $(START) --end $(END) --engine $(ENGINE)

##@ Stage 4 — across machines (Airflow on Celery, Prefect work pool; loopback processes stand in for hosts)
WORKERS ?= 2
S4_CLUSTER_DIR ?= $(CURDIR)/$(S4_DATA)/cluster

.PHONY: start-celery-stage4 stop-celery-stage4 env-celery-stage4
start-celery-stage4: setup ## Stage 4: Airflow db migrate + api-server, scheduler, dag-processor and WORKERS Celery workers (Redis db 11, PostgreSQL s4_airflow)
	$(RUN) python -m stage4_pipelines cluster airflow-up --workers $(WORKERS) --run-dir $(S4_CLUSTER_DIR)/airflow
stop-celery-stage4: setup ## Stage 4: stop the Celery cluster (workers first)
	$(RUN) python -m stage4_pipelines cluster airflow-down --run-dir $(S4_CLUSTER_DIR)/airflow
env-celery-stage4: setup ## Stage 4: print the exports that point `airflow ...` commands at the Celery cluster
	@$(RUN) python -m stage4_pipelines cluster airflow-env --run-dir $(S4_CLUSTER_DIR)/airflow

.PHONY: test-distributed-stage4
test-distributed-stage4: setup ## Stage 4: the multi-process tests (Celery workers, Prefect pool workers, a worker killed mid-load each; ~30 min)
	$(RUN) pytest stage4_pipelines/tests/distributed -m distributed -p no:cacheprovider -v

.PHONY: start-prefect-pool-stage4 stop-prefect-pool-stage4 env-prefect-pool-stage4
start-prefect-pool-stage4: setup ## Stage 4: Prefect server on PostgreSQL (s4_prefect, :4210), process work pool, deployment, WORKERS workers
	$(RUN) python -m stage4_pipelines cluster prefect-up --workers $(WORKERS) --run-dir $(S4_CLUSTER_DIR)/prefect
stop-prefect-pool-stage4: setup ## Stage 4: stop the Prefect workers, then the server
	$(RUN) python -m stage4_pipelines cluster prefect-down --run-dir $(S4_CLUSTER_DIR)/prefect
env-prefect-pool-stage4: setup ## Stage 4: print the exports that point `prefect ...` commands at the pool's server
	@$(RUN) python -m stage4_pipelines cluster prefect-env --run-dir $(S4_CLUSTER_DIR)/prefect

.PHONY: bench-distributed-stage4
bench-distributed-stage4: setup ## Stage 4: a day and a 30-day backfill on 1 vs 2 workers, Prefect pool and Celery side by side (~1.5 h; JSON in bench/results)
	$(RUN) python stage4_pipelines/bench/distributed.py --backfill-days 30 --engines prefect \
		--out stage4_pipelines/bench/results/stage4_distributed_prefect.json & prefect=$$!; \
	$(RUN) python stage4_pipelines/bench/distributed.py --backfill-days 30 --engines airflow --slot 1 \
		--out stage4_pipelines/bench/results/stage4_distributed_airflow.json; airflow=$$?; \
	wait $$prefect; exit $$(( $$? || airflow ))
