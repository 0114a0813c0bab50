# Stage 5 targets (included by the root Makefile). Paths are relative to the repository root.

##@ Stage 5 (prediction API)

STAGE5_PORT ?= 8000
STAGE5_WORKERS ?= 2
STAGE5_REPLICAS ?= 3
STAGE5_LB_PORT ?= 8080

.PHONY: serve-stage5
serve-stage5: setup ## Run the prediction API on 127.0.0.1:$(STAGE5_PORT) (asyncio loop, 2 workers, a socket each)
	@mkdir -p /tmp/stage5-metrics && rm -f /tmp/stage5-metrics/*.db
	PROMETHEUS_MULTIPROC_DIR=/tmp/stage5-metrics $(RUN) python -m stage5_api.serve stage5_api.main:app \
	  --host 127.0.0.1 --port $(STAGE5_PORT) --workers $(STAGE5_WORKERS) --loop asyncio \
	  --timeout-graceful-shutdown 20

.PHONY: serve-lb-stage5
serve-lb-stage5: setup ## N replicas behind nginx on 127.0.0.1:$(STAGE5_LB_PORT) (installs nginx with apt-get if missing)
	$(RUN) python -m stage5_grading.loadtest serve-lb --replicas $(STAGE5_REPLICAS) --port $(STAGE5_LB_PORT)

.PHONY: validate-deploy-stage5
validate-deploy-stage5: setup ## Validate deploy/ offline: hadolint, kubernetes-validate --strict, compose and workflow schemas
	$(RUN) hadolint deploy/Dockerfile
	$(RUN) kubernetes-validate --strict --quiet deploy/k8s/namespace.yaml deploy/k8s/configmap.yaml \
	  deploy/k8s/deployment.yaml deploy/k8s/service.yaml deploy/k8s/hpa.yaml deploy/k8s/pdb.yaml deploy/k8s/redis.yaml
	$(RUN) check-jsonschema --builtin-schema vendor.compose-spec deploy/docker-compose.yml
	$(RUN) check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/ci.yml

.PHONY: fuzz-stage5
fuzz-stage5: setup ## Schemathesis against the live API's OpenAPI (bounded; writes stage5_api/bench/results/fuzz.json)
	$(RUN) python stage5_api/bench/fuzz.py --max-examples $(or $(FUZZ_EXAMPLES),100) --seed 1
	$(RUN) pytest stage5_api/tests -m fuzz -p no:cacheprovider
