# A thin layer over CMake: the two commands of the README.
#   make run    install what is missing, build, and process data/articles.json
#   make test   install what is missing, build, and run every test: plain (-Werror), under
#               ThreadSanitizer, under AddressSanitizer+UBSan, under valgrind, and the linters
# Other targets: build, install, deb, model, bench, lint, format, clean.
#   make install [PREFIX=/usr/local] [DESTDIR=]   the program, its man page, completions and docs
#   make deb     build-deb/news-processor_VERSION_ARCH.deb (the Dockerfile builds with this)

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
# The build directory of run, build and install (tests/build_without_tests.sh uses another).
BUILD_DIR ?= build
BIN = $(BUILD_DIR)/news-processor
# make run and make build need no test tools, so a new build directory gets no tests; but one that
# has them (make test made it) keeps them: make run must not take away what ctest runs there.
TESTS_KEPT = $(shell grep -qx 'BUILD_TESTING:BOOL=ON' $(BUILD_DIR)/CMakeCache.txt 2>/dev/null \
                     && echo ON || echo OFF)
PREFIX ?= /usr/local
DESTDIR ?=
SOURCES = $(wildcard src/*.c src/*.inc include/np/*.h tests/*.c tests/*.h tests/llm_server/*.c bench/*.c)

.PHONY: run test build install deb model bench lint format clean setup-run setup-test setup-bench \
        test-plain test-thread test-address test-fuzz

run: setup-run build
	$(BIN) data/articles.json

# The tool alone: the unit tests (and cmocka) are not needed to run it.
build:
	cmake -S . -B $(BUILD_DIR) -DBUILD_TESTING=$(TESTS_KEPT) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS) --target news-processor gen_articles

# What build installs (the man page is built with the program), under $(DESTDIR)$(PREFIX).
install: setup-run build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD_DIR) --prefix "$(PREFIX)"

# A Release build for /usr in build-deb/, packaged by CPack (cmake/install.cmake): the .deb
# depends on what the binary links (libc6, libcjson1), as dpkg-shlibdeps finds.
deb:
	@sh scripts/setup.sh deb
	cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
		-DCMAKE_INSTALL_PREFIX=/usr $(CMAKE_FLAGS) >/dev/null
	cmake --build build-deb -j $(JOBS) --target news-processor
	cd build-deb && cpack -G DEB

setup-run:
	@sh scripts/setup.sh run

setup-test:
	@sh scripts/setup.sh test

setup-bench:
	@sh scripts/setup.sh bench

test: setup-test test-plain test-thread test-address lint test-fuzz
	@echo "make test: all suites passed (plain, thread sanitizer, address+undefined sanitizer, valgrind, lint, fuzz)"

test-plain:
	cmake -S . -B build -DNP_WERROR=ON -DBUILD_TESTING=ON >/dev/null
	cmake --build build -j $(JOBS)
	cd build && ctest --output-on-failure -j $(JOBS)

test-thread:
	cmake -S . -B build-tsan -DNP_WERROR=ON -DNP_SANITIZE=thread >/dev/null
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
		ctest --output-on-failure -j $(JOBS)

test-address:
	cmake -S . -B build-asan -DNP_WERROR=ON -DNP_SANITIZE=address >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="print_stacktrace=1" \
		ctest --output-on-failure -j $(JOBS)

# The queue's protocol model-checked by spin (tests/model): every configuration, every mutant.
# Also part of make test (ctest model_queue in the plain build).
model: setup-test
	sh tests/model/check.sh

# The loader's libFuzzer target for FUZZ_SECONDS (here 30 by default, to keep CI short; the script
# alone defaults to 60); fails on any finding.
test-fuzz:
	FUZZ_SECONDS=$${FUZZ_SECONDS:-30} sh tests/fuzz/run.sh build-fuzz

lint:
	cmake -S . -B build -DNP_WERROR=ON -DBUILD_TESTING=ON >/dev/null
	clang-format --dry-run --Werror $(SOURCES)
	clang-tidy --quiet -p build src/*.c tests/llm_server/*.c 2>/dev/null
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--std=c11 --inline-suppr -Iinclude --suppress=missingIncludeSystem src tests/llm_server

format:
	clang-format -i $(SOURCES)

bench: setup-bench
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build-release -j $(JOBS)
	sh bench/overhead.sh build-release
	bash bench/scale.sh build-release
	sh bench/load_bench.sh build-release
	bash bench/thread_floor.sh build-release
	bash bench/bench_vs_hyperfine.sh build-release

clean:
	rm -rf build build-tsan build-asan build-release build-fuzz build-deb
