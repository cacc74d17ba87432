# casekit: two commands for users (see README.md)
#   make lab    install everything and open JupyterLab on notebooks/00_start_here.ipynb
#               (CASEKIT_LANG=zh make lab: the same, in Chinese)
#   make test   install everything (and Chromium for the browser tests) and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] && echo "" || (command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && echo sudo || echo NOSUDO))

.PHONY: lab test install install-test system-deps browser-deps bench student grade clean serve

# JupyterLab refuses to run as root (containers, class VMs) unless told it is deliberate.
ROOTFLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

# CASEKIT_LANG=zh make lab: save Chinese for every kernel and put Chinese first in the notebooks.
lab: install
	@if [ -n "$$CASEKIT_LANG" ]; then $(BIN)/python -m casekit language "$$CASEKIT_LANG" notebooks || exit 1; fi
	$(BIN)/jupyter lab notebooks/00_start_here.ipynb $(ROOTFLAG)

# The classroom server (README "Classroom server"): make serve [PORT=8866] [TOKEN=...] [LAN=1] [UNIT=2 CLASS=40] [CLASS_FOLDER=DIR];
# the class language is CASEKIT_LANG (CASEKIT_LANG=zh make serve).
PORT ?= 8866
serve: install
	$(BIN)/python -m pip install --quiet -e ".[classroom]"
	$(BIN)/python -m casekit.classroom --port $(PORT) $(if $(TOKEN),--token $(TOKEN)) $(if $(LAN),--lan) $(if $(UNIT),--unit $(UNIT)) $(if $(CLASS),--class-size $(CLASS)) $(if $(CLASS_FOLDER),--class-folder $(CLASS_FOLDER))

test: install-test browser-deps
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python benchmarks/run_all.py

install: system-deps $(VENV)/.installed
install-test: system-deps $(VENV)/.installed-test

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { echo "casekit needs Python 3.10 or newer; '$(PYTHON)' is older. Run: make PYTHON=python3.11 ..."; exit 1; }
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  rm -rf $(VENV); pkg=python$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv; \
	  if command -v apt-get >/dev/null 2>&1 && [ "$(SUDO)" != NOSUDO ]; then \
	    echo "casekit: installing $$pkg (Debian/Ubuntu ship Python without venv)"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$pkg >/dev/null && $(PYTHON) -m venv $(VENV); \
	  else echo "casekit: '$(PYTHON) -m venv' failed. On Debian/Ubuntu run: sudo apt-get install $$pkg, then make again."; exit 1; fi; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@# Bytecode for the kit's own modules now, as pip writes it for a wheel's: an editable install
	@# leaves it to the first import, and where PYTHONDONTWRITEBYTECODE is set every kernel compiles
	@# casekit again (up to 0.2 s of a notebook's run: all 51 modules compile in 0.2 s here).
	$(BIN)/python -m compileall -q casekit >/dev/null
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test,classroom]"   # the classroom server is tested too
	@touch $@

# Programs from outside PyPI: Graphviz's dot (SVG diagrams), a CJK font (Chinese in plots) and, on
# Linux, bubblewrap (the sandbox that grading runs each submission in).
# Installed with apt (root or passwordless sudo) or Homebrew; otherwise we say what is missing and
# what the kit does without it, and go on.
system-deps:
	@missing=""; \
	command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	if [ "$$(uname)" = Linux ]; then command -v bwrap >/dev/null 2>&1 || missing="$$missing bubblewrap"; fi; \
	if command -v fc-list >/dev/null 2>&1; then fc-list :lang=zh family | grep -qi . || missing="$$missing fonts-wqy-microhei"; \
	elif [ "$$(uname)" != Darwin ]; then missing="$$missing fonts-wqy-microhei"; fi; \
	if [ -z "$$missing" ]; then echo "casekit: Graphviz, a Chinese font (and on Linux bubblewrap) are present."; exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1 && [ "$(SUDO)" != NOSUDO ]; then \
	  echo "casekit: installing$$missing with apt-get"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing fontconfig >/dev/null && exit 0; \
	elif [ "$$(uname)" = Darwin ] && command -v brew >/dev/null 2>&1; then \
	  case "$$missing" in *graphviz*) brew install graphviz && exit 0;; esac; \
	fi; \
	echo "casekit: could not install:$$missing (needs apt-get as root/sudo, or Homebrew on macOS)."; \
	case "$$missing" in *graphviz*) echo "  - without Graphviz 'dot', diagrams are drawn in the browser by an offline WebAssembly widget; saving them as SVG/PNG needs dot.";; esac; \
	case "$$missing" in *bubblewrap*) echo "  - without bubblewrap, 'make grade' refuses to run student code (it needs a sandbox); see README, For instructors.";; esac; \
	case "$$missing" in *fonts*) echo "  - without a CJK font, Chinese labels in matplotlib plots show as boxes (diagrams in the browser still show Chinese).";; esac; \
	exit 0

# Chromium for the real-browser tests (Debian's package; Playwright must not download a browser).
browser-deps:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1 && [ "$(SUDO)" != NOSUDO ]; then \
	  echo "casekit: installing chromium with apt-get (browser tests)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null || echo "casekit: could not install chromium: the browser tests will be reported as SKIPPED."; \
	else echo "casekit: chromium not installed and no apt-get/sudo: the browser tests will be reported as SKIPPED."; fi

clean:
	rm -rf $(VENV) .pytest_cache artifacts

# Instructor commands (see README "For instructors"), otter-grader's format, no Docker:
#   make student                          student versions + autograder bundles in dist/
#   make grade SUBMISSIONS=path/to/folder  sandboxed grading; tables and feedback in dist/grades/ (resumable)
#   make grade SUBMISSIONS=... GRADE_ARGS="--roster roster.csv --merge dist/grades/written/X_written.csv"
#   make selfstudy                        self-study versions with folded solutions in dist/selfstudy/
SUBMISSIONS ?= submissions
GRADE_ARGS ?=
.PHONY: selfstudy
student: install
	$(BIN)/python -m casekit.instructor student

grade: install
	$(BIN)/python -m casekit.instructor grade $(SUBMISSIONS) $(GRADE_ARGS)

selfstudy: install
	$(BIN)/python -m casekit.instructor selfstudy

# The hub image folder (README "Teach with a hub"): the wheel goes into hub/wheels/, then
#   jupyter-repo2docker --image-name casekit-hub:0.1.0 hub/     (builds from hub/ alone)
.PHONY: hub
hub: install
	rm -rf hub/wheels
	$(BIN)/python -m pip wheel --no-deps --wheel-dir hub/wheels .

# Maintainers, after changing an exercise master: rebuild the student versions the wheel ships
# (casekit/_student, with each master's sha256; tests/test_package.py fails when they are stale).
.PHONY: handout
handout: install
	$(BIN)/python -m casekit.instructor student
	$(BIN)/python -m casekit.handout ship
