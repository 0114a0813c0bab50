##@ Stage 3 — MLOps recommender (MLflow)

MLFLOW_BACKEND_URI ?= sqlite:///mlruns/mlflow.db
MLFLOW_HOST ?= 127.0.0.1
MLFLOW_PORT ?= 5000
MLFLOW_UI_PORT ?= 5001
MLFLOW_TRACKING_URI ?= http://$(MLFLOW_HOST):$(MLFLOW_PORT)
STAGE3_EXPERIMENT ?= recsys
MOVIELENS ?=

.PHONY: serve-mlflow-stage3 ui-mlflow-stage3 train-stage3 rollback-stage3 serve-champion-stage3 simulate-ab-stage3

serve-mlflow-stage3: setup ## MLflow tracking server (SQLite + mlruns/ by default; MLFLOW_BACKEND_URI=postgresql://... for PostgreSQL)
	MLFLOW_BACKEND_URI="$(MLFLOW_BACKEND_URI)" $(RUN) python -m stage3_mlops server --host $(MLFLOW_HOST) --port $(MLFLOW_PORT)

ui-mlflow-stage3: setup ## Browse the same store with `mlflow ui` on 127.0.0.1:$(MLFLOW_UI_PORT)
	MLFLOW_BACKEND_URI="$(MLFLOW_BACKEND_URI)" $(RUN) python -m stage3_mlops ui --port $(MLFLOW_UI_PORT)

train-stage3: setup ## Train the 12-run grid into MLflow and promote the best (MOVIELENS=path/u.data optional)
	$(RUN) python -m stage3_mlops train-grid --tracking-uri $(MLFLOW_TRACKING_URI) --experiment $(STAGE3_EXPERIMENT) $(if $(MOVIELENS),--movielens $(MOVIELENS))

rollback-stage3: setup ## Point the champion alias back at the previous champion
	$(RUN) python -m stage3_mlops rollback --tracking-uri $(MLFLOW_TRACKING_URI) --experiment $(STAGE3_EXPERIMENT)

serve-champion-stage3: setup ## Serve models:/$(STAGE3_EXPERIMENT)-recommender@champion on 127.0.0.1:8080 (the Docker CMD)
	MLFLOW_TRACKING_URI=$(MLFLOW_TRACKING_URI) MODEL_URI=models:/$(STAGE3_EXPERIMENT)-recommender@champion $(RUN) python -m stage3_mlops serve-champion

simulate-ab-stage3: setup ## A/A false-positive rate, power and peeking simulations (seeded)
	$(RUN) python -m stage3_mlops ab-simulate
