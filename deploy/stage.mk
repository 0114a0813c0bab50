# Container targets (included by the root Makefile): an engine, offline base images, the images,
# and the compose stack. Each installs or starts what it needs, or says why it cannot.

##@ Containers (Docker engine, images, compose)

COMPOSE_PROJECT ?= stage5
COMPOSE_ENV = NGINX_IMAGE=$${NGINX_IMAGE:-$$(/usr/bin/docker image inspect local/nginx >/dev/null 2>&1 && ! /usr/bin/docker image inspect nginx:1.27-alpine >/dev/null 2>&1 && echo local/nginx || echo nginx:1.27-alpine)} \
  REDIS_IMAGE=$${REDIS_IMAGE:-$$(/usr/bin/docker image inspect local/redis >/dev/null 2>&1 && ! /usr/bin/docker image inspect redis:7-alpine >/dev/null 2>&1 && echo local/redis || echo redis:7-alpine)} \
  STAGE5_API_KEY=$${STAGE5_API_KEY:-compose-$$(hostname | md5sum | cut -c1-16)}
COMPOSE = $$(/usr/bin/docker compose version >/dev/null 2>&1 && echo "/usr/bin/docker compose" || echo docker-compose) -p $(COMPOSE_PROJECT) -f deploy/docker-compose.yml

.PHONY: docker-engine docker-engine-stop docker-base
docker-engine: ## Start a Docker engine (installs Debian's docker.io when missing; says why it cannot)
	@bash scripts/docker-engine.sh start
docker-engine-stop: ## Stop the dockerd that make docker-engine started
	@bash scripts/docker-engine.sh stop
docker-base: docker-engine ## Local base images (debootstrap + Debian's Python 3.11, uv, nginx, redis) when no registry answers
	@bash scripts/docker-base.sh

.PHONY: docker-build-stage3 docker-build-stage5
docker-build-stage3: docker-engine ## Build the stage-3 model-server image (recsys-model-server)
	@bash scripts/docker-build.sh deploy/model-server/Dockerfile recsys-model-server:latest
docker-build-stage5: docker-engine ## Build the stage-5 API image (ml-api:latest)
	@bash scripts/docker-build.sh deploy/Dockerfile ml-api:latest

.PHONY: compose-up-stage5 compose-down-stage5 compose-availability-stage5
compose-up-stage5: docker-build-stage5 ## 3 API replicas + nginx + Redis on 127.0.0.1:8080 (compose v2 or Debian's 1.29)
	@command -v docker-compose >/dev/null || /usr/bin/docker compose version >/dev/null 2>&1 || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
	$(COMPOSE_ENV) $(COMPOSE) up -d
	@for i in $$(seq 1 60); do curl -sf http://127.0.0.1:8080/health >/dev/null && break; sleep 1; done; \
	  curl -sf http://127.0.0.1:8080/health >/dev/null && echo "stack answers on http://127.0.0.1:8080" || \
	  { echo "error: the stack did not answer within 60 s"; $(COMPOSE_ENV) $(COMPOSE) ps; exit 1; }
compose-down-stage5: ## Stop and remove the compose stack
	$(COMPOSE_ENV) $(COMPOSE) down --remove-orphans
compose-availability-stage5: compose-up-stage5 ## Availability through the stack while a replica is killed and Redis restarts
	$(COMPOSE_ENV) $(RUN) python deploy/availability.py $(AVAILABILITY_OPTS)
