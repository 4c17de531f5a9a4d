# mail-gateway: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

JAVA_HOME := $(shell scripts/java-home.sh)
export JAVA_HOME
export PATH := $(JAVA_HOME)/bin:$(PATH)

MVN := mvn -B
MGW := admin-cli/target/mgw
# The launcher runs the jar with the production JVM options (server/src/main/sh/mail-gateway.sh);
# JAVA_OPTS adds to them, here as everywhere.
GATEWAY := server/target/mail-gateway
SERVER_JAR := server/target/mail-gateway.jar
SOURCES := $(shell find pom.xml */pom.xml */src/main core/src/test/java/dev/mgw/core/testing scripts/find-java.sh -type f 2>/dev/null)
# `make run` uses the default database; DATABASE_URL overrides it as everywhere else.
RUN_DATABASE := mailgateway
SINK_PORT := 1025
BENCH_CP := bench/target/classes:bench/target/libs/*

.PHONY: help build run sink test seed up down logs migrate bench drill clean docker-check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-8s %s\n", $$1, $$2}'

build: $(GATEWAY) $(MGW) ## build server/target/mail-gateway (and its jar) and admin-cli/target/mgw

$(GATEWAY) $(SERVER_JAR) $(MGW) bench/target/classes &: $(SOURCES)
	$(MVN) -q package -DskipTests

test: ## run every test against the local PostgreSQL (databases of this run only), then the README's Quick start
	scripts/run-tests.sh
	scripts/check-quickstart.sh

run: build ## build, migrate and start the gateway on :8000: relay SMTP_HOST, or the sandbox when it is unset
	@scripts/ensure-postgres.sh
	@[ -n "$$DATABASE_URL" ] || scripts/ensure-database.sh $(RUN_DATABASE)
	$(MGW) db migrate
	$(GATEWAY)

sink: build ## a loopback SMTP sink on 127.0.0.1:1025 that prints every message it receives
	java -cp '$(BENCH_CP)' dev.mgw.bench.SmtpSink $(SINK_PORT)

migrate: build ## apply the schema to DATABASE_URL
	@scripts/ensure-postgres.sh
	@[ -n "$$DATABASE_URL" ] || scripts/ensure-database.sh $(RUN_DATABASE)
	$(MGW) db migrate

seed: migrate ## create the development key sk_test_default_key_123 (limit 15); again, it says it exists
	$(MGW) keys create --name default --limit 15 --key sk_test_default_key_123

BENCH_JAVA := MGW_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/mgw_test java -cp '$(BENCH_CP)'

bench: build ## measure SPEC §9 against same-run baselines; writes bench/results/ (about 20 min; BENCH_SCALE=0.2 for a dry run)
	@scripts/ensure-postgres.sh
	@scripts/ensure-database.sh mgw_test
	$(BENCH_JAVA) dev.mgw.bench.Bench

drill: build ## kill -9, relay down, database gone, two gateways (DRILLS="kill relay database two"); about 6 min
	@scripts/ensure-postgres.sh
	@scripts/ensure-database.sh mgw_test
	$(BENCH_JAVA) dev.mgw.bench.Drill $(DRILLS)

docker-check:
	@docker info >/dev/null 2>&1 || { echo "this target needs a running Docker engine (docker compose); none is reachable here" >&2; exit 1; }

up: docker-check ## docker compose: PostgreSQL, Mailpit and the gateway
	docker compose up -d --build

down: docker-check ## docker compose: stop and remove the containers
	docker compose down

logs: docker-check ## docker compose: follow the gateway's logs
	docker compose logs -f web

clean: ## remove build output
	$(MVN) -q clean
