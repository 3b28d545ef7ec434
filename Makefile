# Mamori — the two commands of the README:
#   make run    fetch the PDF fonts (npm ci), build and start Mamori with the demo ward on http://127.0.0.1:8080
#   make test   the whole test suite (gofmt, go vet, tests — under the race detector where it pays; PostgreSQL too when
#               MAMORI_TEST_PG is set)

export GOTOOLCHAIN := local
GO ?= go
BIN := bin/mamori

.PHONY: run build fonts test fmt-check vet bench fuzz clean

# The PDF fonts come from the npm registry (package-lock.json) and are
# embedded at build time; they are never committed.
FONTS := internal/docgen/fonts/files/serif-regular.ttf

fonts: $(FONTS)

# axe-core (package.json devDependencies) is what the accessibility test
# (internal/app/a11y_test.go) injects into Chromium; npm ci brings it with
# the fonts, and again here if node_modules predates it.
AXE := node_modules/axe-core/axe.min.js

$(AXE): | $(FONTS)
	npm ci --no-audit --no-fund

$(FONTS): package.json package-lock.json scripts/fonts.sh
	sh scripts/fonts.sh

build: fonts
	$(GO) build -trimpath -o $(BIN) ./cmd/mamori

run: build
	./$(BIN) serve --demo

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt が必要なファイル:"; echo "$$out"; exit 1; fi

vet: fonts
	$(GO) vet ./...

# The race detector slows the packages that drive the whole app through
# demo wards, LibreOffice and Chromium about tenfold (internal/app: 90 s
# without it, 15 min with it on a 2-core machine), which kept CI over 30
# minutes. They run once without it; every other package — each one that
# owns concurrent code (web, database, jobs, caches, the survey's and
# e-learning's submissions) — runs under it, and so does the web bench,
# which sends 50 concurrent clients through the real handlers.
NORACE := ./e2e ./internal/app ./internal/catalog ./internal/audit ./internal/org ./internal/policy ./internal/policy/gap ./internal/drill ./internal/vendor ./internal/scan ./internal/program \
	./internal/mail/mailmod

# Long sequential tests in packages that otherwise run under the race
# detector (documents generated, a feature driven end to end on one
# goroutine) skip themselves under it (testkit.NoRace) and run here once
# without it: under it, five of them took 8 of CI's minutes, and nine
# more (a demo built, a browser paging, PNG charts drawn, password hashes
# for a login throttle) took 14 minutes of package time between them.
RACE_HEAVY := TestAnalysisRecount|TestAnalysisCLI|TestIncidentCLI|TestReportTriageAndClock|TestDirectoryLogin|TestCampaignBackends|TestAnalysisSmallGroups|TestDemoIncidents|TestDemoRegister|TestSCORMCourse|TestPNGEdgeCases|TestBrowserAuditLog|TestLoginSuccessResetsAddressFailures|TestThrottledLoginsDoNotFloodTheAuditLog|TestSCORMCommitsInFlightTogether|TestCampaignsChangedTogether|TestLearnerStepsTogether
RACE_HEAVY_PKGS := ./internal/survey ./internal/incident ./internal/auth ./internal/improve ./internal/learning ./internal/docgen/chart ./internal/auditlog/auditweb

test: fonts $(AXE) fmt-check vet
	$(GO) test -race -count=1 -timeout 30m $$($(GO) list ./... | grep -v -x -F $(foreach p,$(NORACE),-e mamori/$(patsubst ./%,%,$(p))))
	$(GO) test -count=1 -timeout 30m $(NORACE)
	$(GO) test -count=1 -timeout 30m -run '^($(RACE_HEAVY))$$' $(RACE_HEAVY_PKGS)
	$(GO) test -race -count=1 -timeout 30m -run '^TestBenchWeb$$' ./internal/app
	$(MAKE) --no-print-directory fuzz FUZZTIME=1s FUZZ="$(FUZZ_QUICK)"

# Native Go fuzzing of every reader of uploaded bytes (scanner files, the
# roster, policy DOCX and text, SCORM packages): `make fuzz` runs each
# target for FUZZTIME. Every target's seed corpus runs as an ordinary test
# in `go test`; make test also fuzzes the readers whose test binaries are
# small for a second each (FUZZ_QUICK). The other four link the whole
# feature, or excelize, with coverage instrumentation, which took one to
# two minutes each for one second of fuzzing (the roster's took 97 s of
# CI's time), so they are fuzzed by `make fuzz` only.
FUZZTIME ?= 1m
FUZZ_QUICK := ./internal/scan/parse:FuzzParseNmap ./internal/scan/parse:FuzzParseOpenVAS ./internal/scan/parse:FuzzParseTrivy \
	./internal/scan/parse:FuzzParseSARIF ./internal/scan/parse:FuzzParseCSV ./internal/scan/parse:FuzzDetect \
	./internal/policy/provision:FuzzParse ./internal/policy/provision:FuzzReadDOCX
FUZZ ?= $(FUZZ_QUICK) ./internal/org/roster:FuzzReadFile ./internal/learning:FuzzParseSCORM ./internal/catalog:FuzzReadXLSX ./internal/audit:FuzzReadPresurveyXLSX

fuzz:
	@for t in $(FUZZ); do pkg=$${t%%:*}; name=$${t##*:}; echo "== $$name ($$pkg, $(FUZZTIME))"; \
	out="$$($(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg 2>&1)"; rc=$$?; \
	echo "$$out" | tail -n 3; if [ $$rc -ne 0 ]; then echo "$$out"; exit 1; fi; done

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./internal/org/roster/

clean:
	rm -rf bin
