# The two commands of the README: `make demo` and `make test`. Both bootstrap .venv themselves.
SHELL := /bin/bash
ROOT := $(abspath .)

.PHONY: demo test bench docs venv clean

venv:
	@scripts/bootstrap.sh

demo:
	@scripts/demo.sh

test:
	@scripts/test.sh

bench:
	@scripts/bench.sh

docs:
	@scripts/docs.sh

clean:
	rm -rf tests/output dist docs/build collections .ansible importer_result.json
