# Shortcuts for the npm scripts; the README's two commands are the source of truth.
.PHONY: install build typecheck verify test bench demo clean

install:
	npm ci

build:
	npm run build

typecheck:
	npm run typecheck

verify: build
	npx trt verify

test:
	npm test

bench:
	npm run bench

demo:
	npm run demo

clean:
	rm -rf dist node_modules/.cache/trt bench/.work
