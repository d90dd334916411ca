# Sourced by scripts/test: starts the services the test suite needs and
# exports their URLs. Each service is skipped when its URL is already set.
#
#   CLOSEQ_TEST_POSTGRES_URL  superuser URL of a throwaway PostgreSQL cluster;
#                             tests create their own owner and runtime roles.
#   CLOSEQ_TEST_POSTGRES_TLS_CA
#                             the CA certificate (PEM) that signed that
#                             cluster's server certificate (for localhost and
#                             127.0.0.1): the cluster runs with ssl=on, and
#                             tests connect with sslmode=require/verify-full.
#                             Made with openssl for each run.
#   CLOSEQ_TEST_S3_ENDPOINT   an S3-compatible server (moto, from PyPI's
#                             `moto[server]`, installed with pip when missing).
#   CLOSEQ_JUDGE_MODEL        the local judge's test model, a GGUF file
#                             (scripts/fetch-judge-model: Gemma 3 270M, a base
#                             model that exercises the machinery, not the
#                             judgement).
#   CLOSEQ_TEST_LLAMA_CPP_PYTHON_URL
#                             llama-cpp-python's OpenAI-compatible server on
#                             loopback, serving CLOSEQ_JUDGE_MODEL. PyPI has no
#                             wheel of llama-cpp-python for Linux, so it is
#                             compiled once (cmake, ~15 CPU-minutes) into a
#                             virtualenv cached outside the clone
#                             (~/.cache/closeq/llama-cpp-python).
#   CLOSEQ_TEST_API_TOOLS     a directory with the independent HTTP API
#                             checkers from PyPI: `openapi-spec-validator`,
#                             `schemathesis` and the `standardwebhooks`
#                             verifier (pinned, with their python), installed once into
#                             a virtualenv cached outside the clone
#                             (~/.cache/closeq/api-tools/bin).
#   CLOSEQ_TEST_BROWSER_PYTHON
#                             a python with Playwright (PyPI `playwright`,
#                             pinned, in a virtualenv cached outside the
#                             clone: ~/.cache/closeq/browser-tools) that
#                             drives Debian's Chromium (`chromium`, installed
#                             with apt-get when missing, root only) for
#                             scripts/check-report-html.
#
# The llm-local feature builds llama.cpp with cmake and bindgen: cmake and
# libclang are installed with apt-get when missing (root only).
#
# PostgreSQL is installed with apt-get when missing (root only), and always
# runs as a non-root user on a temporary directory that is removed on exit.
# Under CI=true a service that cannot be started fails the run.

closeq_ci() { [ "${CI:-}" = "true" ] || [ "${CI:-}" = "1" ]; }

closeq_fail_or_warn() {
  if closeq_ci; then
    echo "error: $1 (required under CI=true)" >&2
    exit 1
  fi
  echo "warning: $1; tests that need it will be skipped" >&2
}

closeq_pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# A throwaway CA and a server certificate it signed, for localhost and
# 127.0.0.1, in directory $1 (ca.crt, server.crt, server.key).
closeq_postgres_tls() {
  command -v openssl >/dev/null || return 1
  mkdir -p "$1" && (
    cd "$1" &&
      openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=CloseQ test CA" \
        -keyout ca.key -out ca.crt 2>/dev/null &&
      openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout server.key -out server.csr 2>/dev/null &&
      printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >server.ext &&
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile server.ext -out server.crt 2>/dev/null &&
      chmod 600 server.key && rm -f ca.key ca.srl server.csr server.ext
  )
}

# Installs Debian packages as root ($@), waiting up to ten minutes for
# another apt/dpkg run to release its lock instead of failing at once; the
# output is kept in a log whose last lines are shown when it fails.
closeq_apt_install() {
  local log
  log=$(mktemp /tmp/closeq-apt.XXXXXX)
  apt-get -o DPkg::Lock::Timeout=600 update -qq >>"$log" 2>&1 || true
  if ! DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >>"$log" 2>&1; then
    echo "apt-get install $* failed; its last lines:" >&2
    tail -n 5 "$log" >&2
  fi
  rm -f "$log"
}

closeq_start_postgres() {
  [ -n "${CLOSEQ_TEST_POSTGRES_URL:-}" ] && return 0
  local bin
  bin=$(closeq_pg_bin)
  if [ -z "$bin" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing PostgreSQL with apt-get ..." >&2
    closeq_apt_install postgresql
    bin=$(closeq_pg_bin)
  fi
  if [ -z "$bin" ]; then
    closeq_fail_or_warn "PostgreSQL is not installed"
    return 0
  fi
  local run=()
  CLOSEQ_PG_DIR=$(mktemp -d /tmp/closeq-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then
    id closeq-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin closeq-pg
    chown closeq-pg "$CLOSEQ_PG_DIR"
    run=(runuser -u closeq-pg --)
  fi
  local port=$((20000 + RANDOM % 20000))
  local tls=()
  if closeq_postgres_tls "$CLOSEQ_PG_DIR/tls"; then
    [ "$(id -u)" = 0 ] && chown closeq-pg "$CLOSEQ_PG_DIR/tls/server.key"
    tls=(-c ssl=on -c "ssl_cert_file=$CLOSEQ_PG_DIR/tls/server.crt" -c "ssl_key_file=$CLOSEQ_PG_DIR/tls/server.key")
  else
    closeq_fail_or_warn "could not make a TLS certificate for PostgreSQL (openssl); TLS tests will be skipped"
  fi
  if ! "${run[@]}" "$bin/initdb" -D "$CLOSEQ_PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-sync >"$CLOSEQ_PG_DIR/initdb.log" 2>&1; then
    cat "$CLOSEQ_PG_DIR/initdb.log" >&2
    closeq_fail_or_warn "initdb failed"
    return 0
  fi
  if ! "${run[@]}" "$bin/pg_ctl" -D "$CLOSEQ_PG_DIR/data" -l "$CLOSEQ_PG_DIR/server.log" -w -t 60 \
      -o "-p $port -k $CLOSEQ_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${tls[*]}" \
      start >/dev/null; then
    cat "$CLOSEQ_PG_DIR/server.log" >&2
    closeq_fail_or_warn "PostgreSQL did not start"
    return 0
  fi
  CLOSEQ_PG_STOP=("${run[@]}" "$bin/pg_ctl" -D "$CLOSEQ_PG_DIR/data" -m immediate stop)
  export CLOSEQ_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  [ ${#tls[@]} -gt 0 ] && export CLOSEQ_TEST_POSTGRES_TLS_CA="$CLOSEQ_PG_DIR/tls/ca.crt"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on port $port" >&2
}

closeq_start_s3() {
  [ -n "${CLOSEQ_TEST_S3_ENDPOINT:-}" ] && return 0
  if ! command -v moto_server >/dev/null 2>&1; then
    echo "installing moto[server] with pip ..." >&2
    python3 -m pip install -q 'moto[server]' >/dev/null 2>&1 || python3 -m pip install -q --user 'moto[server]' >/dev/null 2>&1 || true
    hash -r
  fi
  if ! command -v moto_server >/dev/null 2>&1; then
    closeq_fail_or_warn "moto_server (S3 stand-in) is not installed"
    return 0
  fi
  local port=$((20000 + RANDOM % 20000))
  CLOSEQ_S3_LOG=$(mktemp /tmp/closeq-s3.XXXXXX)
  moto_server -H 127.0.0.1 -p "$port" >"$CLOSEQ_S3_LOG" 2>&1 &
  CLOSEQ_S3_PID=$!
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/" >/dev/null 2>&1; then
      export CLOSEQ_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
      echo "S3 stand-in (moto) on port $port" >&2
      return 0
    fi
    sleep 0.2
  done
  cat "$CLOSEQ_S3_LOG" >&2
  closeq_fail_or_warn "moto_server did not start"
}

closeq_stop_services() {
  if [ -n "${CLOSEQ_LCP_PID:-}" ]; then
    kill "$CLOSEQ_LCP_PID" >/dev/null 2>&1 || true
    rm -f "${CLOSEQ_LCP_LOG:-}"
  fi
  if [ -n "${CLOSEQ_S3_PID:-}" ]; then
    kill "$CLOSEQ_S3_PID" >/dev/null 2>&1 || true
    rm -f "${CLOSEQ_S3_LOG:-}"
  fi
  if [ -n "${CLOSEQ_PG_DIR:-}" ]; then
    "${CLOSEQ_PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$CLOSEQ_PG_DIR"
  fi
}

# The local Whisper engine and models: the prebuilt CTranslate2 library
# (scripts/fetch-ctranslate2; closeq-stt's build script would fetch it too)
# and the models (scripts/fetch-whisper-model), all cached outside the clone.
closeq_prepare_whisper() {
  if ! scripts/fetch-ctranslate2 >/dev/null; then
    echo "services: could not fetch the prebuilt CTranslate2 engine" >&2
    return 1
  fi
  if [[ -z "${CLOSEQ_WHISPER_MODEL:-}" ]]; then
    CLOSEQ_WHISPER_MODEL="$(scripts/fetch-whisper-model)" || {
      echo "services: could not fetch the Whisper model" >&2
      [[ "${CI:-}" == "true" ]] && return 1
      CLOSEQ_WHISPER_MODEL=""
    }
    export CLOSEQ_WHISPER_MODEL
  fi
  if [[ -z "${CLOSEQ_WHISPER_MODEL_BASE:-}" ]]; then
    CLOSEQ_WHISPER_MODEL_BASE="$(scripts/fetch-whisper-model base)" || {
      echo "services: could not fetch the Whisper base model" >&2
      [[ "${CI:-}" == "true" ]] && return 1
      CLOSEQ_WHISPER_MODEL_BASE=""
    }
    export CLOSEQ_WHISPER_MODEL_BASE
  fi
}

# The in-process judge: build tools for llama.cpp (cmake, libclang for
# bindgen) and the test model, cached outside the clone.
closeq_prepare_judge() {
  if { ! command -v cmake >/dev/null || ! ls /usr/lib/llvm-*/lib/libclang.so* >/dev/null 2>&1; } \
      && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing cmake and libclang-dev with apt-get (llama.cpp build) ..." >&2
    closeq_apt_install cmake libclang-dev
  fi
  if ! command -v cmake >/dev/null; then
    closeq_fail_or_warn "cmake is not installed (the llm-local feature builds llama.cpp with it)"
  fi
  if [[ -z "${CLOSEQ_JUDGE_MODEL:-}" ]]; then
    CLOSEQ_JUDGE_MODEL="$(scripts/fetch-judge-model)" || {
      CLOSEQ_JUDGE_MODEL=""
      closeq_fail_or_warn "could not fetch the judge's test model"
    }
    export CLOSEQ_JUDGE_MODEL
  fi
}

# llama-cpp-python's server (PyPI `llama-cpp-python[server]`, pinned),
# compiled once into a cached virtualenv, started on loopback with the
# judge's test model.
CLOSEQ_LLAMA_CPP_PYTHON_VERSION=0.3.36
closeq_start_llama_cpp_python() {
  [ -n "${CLOSEQ_TEST_LLAMA_CPP_PYTHON_URL:-}" ] && return 0
  if [ -z "${CLOSEQ_JUDGE_MODEL:-}" ]; then
    closeq_fail_or_warn "llama-cpp-python's server needs CLOSEQ_JUDGE_MODEL"
    return 0
  fi
  local venv="${CLOSEQ_LLAMA_CPP_PYTHON_VENV:-$HOME/.cache/closeq/llama-cpp-python}"
  if ! "$venv/bin/python" -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$CLOSEQ_LLAMA_CPP_PYTHON_VERSION')" >/dev/null 2>&1; then
    echo "building llama-cpp-python[server] $CLOSEQ_LLAMA_CPP_PYTHON_VERSION from source into $venv (once; about 15 CPU-minutes) ..." >&2
    rm -rf "$venv"
    python3 -m venv "$venv" >/dev/null 2>&1 &&
      CMAKE_ARGS="-DLLAVA_BUILD=OFF" "$venv/bin/pip" install -q --no-cache-dir \
        "llama-cpp-python[server]==$CLOSEQ_LLAMA_CPP_PYTHON_VERSION" >&2 || {
      rm -rf "$venv"
      closeq_fail_or_warn "llama-cpp-python[server] could not be installed"
      return 0
    }
  fi
  local port=$((20000 + RANDOM % 20000))
  CLOSEQ_LCP_LOG=$(mktemp /tmp/closeq-llama-cpp-python.XXXXXX)
  "$venv/bin/python" -m llama_cpp.server --model "$CLOSEQ_JUDGE_MODEL" --model_alias gemma-3-270m \
    --host 127.0.0.1 --port "$port" --n_ctx 4096 --n_threads 2 >"$CLOSEQ_LCP_LOG" 2>&1 &
  CLOSEQ_LCP_PID=$!
  for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$port/v1/models" >/dev/null 2>&1; then
      export CLOSEQ_TEST_LLAMA_CPP_PYTHON_URL="http://127.0.0.1:$port/v1"
      echo "llama-cpp-python $CLOSEQ_LLAMA_CPP_PYTHON_VERSION server on port $port" >&2
      return 0
    fi
    kill -0 "$CLOSEQ_LCP_PID" 2>/dev/null || break
    sleep 0.2
  done
  tail -n 20 "$CLOSEQ_LCP_LOG" >&2
  closeq_fail_or_warn "llama-cpp-python's server did not start"
}

CLOSEQ_API_TOOLS_PINS="openapi-spec-validator==0.9.0 schemathesis==4.32.5 standardwebhooks==1.1.0"

closeq_prepare_api_tools() {
  [ -n "${CLOSEQ_TEST_API_TOOLS:-}" ] && return 0
  local venv="${CLOSEQ_API_TOOLS_VENV:-$HOME/.cache/closeq/api-tools}"
  local stamp="$venv/closeq-pins"
  if [ ! -x "$venv/bin/schemathesis" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$CLOSEQ_API_TOOLS_PINS" ]; then
    echo "installing $CLOSEQ_API_TOOLS_PINS with pip into $venv ..." >&2
    rm -rf "$venv"
    # shellcheck disable=SC2086
    python3 -m venv "$venv" >/dev/null 2>&1 &&
      "$venv/bin/pip" install -q $CLOSEQ_API_TOOLS_PINS >/dev/null 2>&1 &&
      echo "$CLOSEQ_API_TOOLS_PINS" >"$stamp" || rm -rf "$venv"
  fi
  if [ -x "$venv/bin/schemathesis" ] && [ -x "$venv/bin/openapi-spec-validator" ] &&
    "$venv/bin/python" -c "import standardwebhooks, jsonschema" >/dev/null 2>&1; then
    export CLOSEQ_TEST_API_TOOLS="$venv/bin"
  else
    closeq_fail_or_warn "the API checkers ($CLOSEQ_API_TOOLS_PINS) could not be installed"
  fi
}

CLOSEQ_BROWSER_TOOLS_PINS="playwright==1.65.2"

closeq_prepare_browser() {
  [ -n "${CLOSEQ_TEST_BROWSER_PYTHON:-}" ] && return 0
  if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Chromium with apt-get ..." >&2
    closeq_apt_install --no-install-recommends chromium
  fi
  local venv="${CLOSEQ_BROWSER_TOOLS_VENV:-$HOME/.cache/closeq/browser-tools}"
  local stamp="$venv/closeq-pins"
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$CLOSEQ_BROWSER_TOOLS_PINS" ]; then
    echo "installing $CLOSEQ_BROWSER_TOOLS_PINS with pip into $venv ..." >&2
    rm -rf "$venv"
    # shellcheck disable=SC2086
    python3 -m venv "$venv" >/dev/null 2>&1 &&
      "$venv/bin/pip" install -q $CLOSEQ_BROWSER_TOOLS_PINS >/dev/null 2>&1 &&
      echo "$CLOSEQ_BROWSER_TOOLS_PINS" >"$stamp" || rm -rf "$venv"
  fi
  if command -v chromium >/dev/null 2>&1 && "$venv/bin/python" -c "import playwright.sync_api" >/dev/null 2>&1; then
    export CLOSEQ_TEST_BROWSER_PYTHON="$venv/bin/python"
    export CLOSEQ_CHROMIUM="${CLOSEQ_CHROMIUM:-$(command -v chromium)}"
    echo "Chromium $("$CLOSEQ_CHROMIUM" --version 2>/dev/null | awk '{print $2}') with $CLOSEQ_BROWSER_TOOLS_PINS" >&2
  else
    closeq_fail_or_warn "headless Chromium with $CLOSEQ_BROWSER_TOOLS_PINS could not be installed"
  fi
}

closeq_start_services() {
  trap closeq_stop_services EXIT
  closeq_prepare_api_tools
  closeq_prepare_browser
  closeq_prepare_whisper
  closeq_prepare_judge
  closeq_start_postgres
  closeq_start_s3
  closeq_start_llama_cpp_python
}
