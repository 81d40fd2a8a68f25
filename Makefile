# Two commands matter: `make run` starts the assistant, `make test` runs every test.
SHELL := /bin/bash
PY := .venv/bin/python
ENV := source scripts/common.sh &&

.PHONY: run test setup prepare train shell validate eval bench lock clean

run: prepare  ## start the action server + Rasa (REST and socket.io) on localhost
	@$(ENV) $(PY) -m bot.serve

test: prepare  ## unit tests, rasa data validate, test stories, integration tests with real servers and Chromium
	@bash scripts/system_packages.sh
	@$(ENV) bash scripts/test.sh

setup:  ## create .venv with Python 3.10 and install the locked dependencies
	@bash scripts/bootstrap.sh

prepare: setup  ## build the KB index and train the Rasa model if their inputs changed
	@bash scripts/prepare.sh

train: setup
	@bash scripts/prepare.sh

shell:  ## chat in the terminal with the assistant started by `make run`
	@$(ENV) $(PY) -m bot.chat

validate: setup
	@$(ENV) .venv/bin/rasa data validate --fail-on-warnings

eval: prepare  ## NLU accuracy on the dev split, then on the held-out test split (starts its own assistant)
	@$(ENV) $(PY) -m bot.evaluate --start tests/data/dev.tsv tests/data/routing.tsv tests/data/test.tsv

bench: prepare  ## latency/throughput/memory vs a vanilla `rasa init` assistant (embedded and production profile); channel and handoff latency; report on 100k conversations; personal-data masking and purge
	@$(ENV) $(PY) bench/run_bench.py
	@$(ENV) $(PY) bench/cluster_bench.py
	@$(ENV) $(PY) bench/channel_latency.py
	@$(ENV) $(PY) bench/handoff_latency.py
	@$(ENV) $(PY) bench/report_bench.py
	@$(ENV) $(PY) bench/privacy_masking.py
	@$(ENV) $(PY) bench/privacy_purge.py

lock:  ## re-resolve all dependencies together into requirements.lock
	@.venv/bin/uv pip compile pyproject.toml --extra dev --python-version 3.10 \
	  --python-platform x86_64-manylinux_2_28 -o requirements.lock

clean:
	rm -rf models var kb/.index .pytest_cache
