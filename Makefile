# Stretch Coach. `make run` starts the assistant from nothing; `make test` runs every test the same way.
.PHONY: help install run voice web cluster test test-fast validate train detector eval bench bench-web bench-turns bench-history bench-history-view bench-load lint clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

install:  ## venv (Python 3.10), pinned packages, Debian packages, spaCy pipeline, trained model
	scripts/setup.sh

run:  ## start the action server and Rasa server, then chat with the coach in this terminal
	scripts/run.sh chat

voice:  ## like run, but talk: microphone in, spoken replies out (VOICE_ARGS="--device 2" to pick)
	scripts/run.sh voice $(VOICE_ARGS)

web:  ## like run, but serve the page at http://127.0.0.1:8080/ (WEB_PORT=...; HTTPS on 8443 for phones)
	scripts/run.sh web $(WEB_ARGS)

cluster:  ## like run, on two Rasa servers + action servers, PostgreSQL, Redis and HAProxy (docs/cluster.md)
	scripts/cluster.sh chat $(CHAT_ARGS)

test:  ## set up, then run every test: unit, actions, validation, stories, NLU floors, e2e, voice
	scripts/test.sh

test-fast:  ## only the pure tests (no server, model or audio): seconds
	.venv/bin/python -m pytest -q -m pure

validate:  ## rasa data validate
	scripts/setup.sh && .venv/bin/rasa data validate

train: install  ## (re)train the model when its inputs changed

detector:  ## rebuild stretch_voice/safety_detector.npz from synthetic voices (~15 min)
	scripts/setup.sh && .venv/bin/python -m lab.safety.train

eval:  ## NLU evaluation report: ours vs Rasa's stock pipeline, held-out set, cross-validation
	scripts/setup.sh && .venv/bin/python -m lab.bench.eval_nlu

bench:  ## voice benchmark, old loop vs new, every room condition, fast pace (~60 min; BENCH_ARGS="--pace realtime ..." for latency)
	scripts/setup.sh && .venv/bin/python -m lab.bench.voice_bench $(BENCH_ARGS)

bench-web:  ## web page benchmark: speech to reply audio in headless chromium, pages at once, one/two gateways, batched (~25 min; WEB_BENCH_ARGS)
	scripts/setup.sh && .venv/bin/python -m lab.bench.web_bench $(WEB_BENCH_ARGS)

bench-turns:  ## cost of a turn at turn 10, 100 and 500 over REST and socket.io, holds running (~5 min)
	scripts/setup.sh && .venv/bin/python -m lab.bench.turn_cost

bench-history:  ## cost of a turn with no stored history vs 1,000 stored sessions (~2 min)
	scripts/setup.sh && .venv/bin/python -m lab.bench.history_cost $(BENCH_ARGS)

bench-history-view:  ## the page's history view with a year of three sessions a week, in headless chromium (~2 min)
	scripts/setup.sh && .venv/bin/python -m lab.bench.history_view $(BENCH_ARGS)

bench-load:  ## ours vs the stock `rasa init` bot under load: paced and closed loop, SQLite/PostgreSQL/cluster (~15 min)
	scripts/setup.sh && .venv/bin/python -m lab.bench.load $(LOAD_ARGS)

lint:  ## ruff
	.venv/bin/python -m ruff check stretch_coach actions components stretch_chat stretch_voice stretch_web stretch_run lab tests

clean:  ## remove build outputs (venv kept)
	rm -rf build models results .pytest_cache
