# mail-gateway: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

JAVA_HOME := $(shell scripts/java-home.sh)
export JAVA_HOME
export PATH := $(JAVA_HOME)/bin:$(PATH)

MVN := mvn -B
MGW := admin-cli/target/mgw
SERVER_JAR := server/target/mail-gateway.jar
SOURCES := $(shell find pom.xml */pom.xml */src/main core/src/test/java/dev/mgw/core/testing -type f 2>/dev/null)
# `make run` uses the default database; DATABASE_URL overrides it as everywhere else.
RUN_DATABASE := mailgateway
# How the gateway's JVM runs here, in the image (Dockerfile) and in `make bench`/`make drill`:
# the heap cap and G1's initial mark stack (64k entries instead of 4M; it grows when marking
# needs more) keep the process under 300 MB resident under overload (live data is about 15 MB,
# G1 otherwise commits 256 MB of heap and 43 MB of its own); a class data archive, written when
# the first run exits and rewritten when the jar changes, cuts the start to ready by a quarter.
GATEWAY_JAVA_OPTS ?= -Xmx128m -XX:MarkStackSize=64k -XX:+ExitOnOutOfMemoryError -XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=$(CURDIR)/server/target/mail-gateway.jsa
export GATEWAY_JAVA_OPTS

.PHONY: help build run test seed up down logs migrate bench drill clean docker-check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-8s %s\n", $$1, $$2}'

build: $(SERVER_JAR) $(MGW) ## build server/target/mail-gateway.jar and admin-cli/target/mgw

$(SERVER_JAR) $(MGW) bench/target/classes &: $(SOURCES)
	$(MVN) -q package -DskipTests

test: ## run every test against the local PostgreSQL, in databases of this run only
	scripts/run-tests.sh

run: build ## build, migrate and start the gateway on :8000 with the sandbox transport
	@scripts/ensure-postgres.sh
	@[ -n "$$DATABASE_URL" ] || scripts/ensure-database.sh $(RUN_DATABASE)
	$(MGW) db migrate
	SMTP_HOST= java $(GATEWAY_JAVA_OPTS) -jar $(SERVER_JAR)

migrate: build ## apply the schema to DATABASE_URL
	@scripts/ensure-postgres.sh
	@[ -n "$$DATABASE_URL" ] || scripts/ensure-database.sh $(RUN_DATABASE)
	$(MGW) db migrate

seed: migrate ## create the development key sk_test_default_key_123 (limit 15)
	$(MGW) keys create --name default --limit 15 --key sk_test_default_key_123

BENCH_CP := bench/target/classes:bench/target/libs/*
BENCH_JAVA := MGW_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/mgw_test java -cp '$(BENCH_CP)'

bench: build ## measure SPEC §9 against same-run baselines; writes bench/results/ (about 13 min)
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
