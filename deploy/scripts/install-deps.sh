#!/usr/bin/env bash
# install-deps.sh — install the Debian packages the project needs (`make deps`).
#
# A fast no-op when every package is already installed (one dpkg-query);
# otherwise `apt-get update` and one `apt-get install`, through sudo when not
# root. The list below is the one place it is kept; README.md explains why
# each package is there.
set -euo pipefail

PACKAGES=(
    build-essential clang pkg-config make   # compilers (gcc and clang, libFuzzer), build
    libzmq3-dev libczmq-dev                 # ZeroMQ transport and czmq daemon plumbing
    libmsgpack-dev                          # msgpack-c: every message on the wire
    libpq-dev                               # libpq: PostgreSQL client library
    libsodium-dev                           # HMAC-SHA256 pseudonyms
    libjansson-dev                          # JSON for complaintctl (stdin documents, output)
    libcsv-dev                              # CSV parser for complaintctl import
    libunistring-dev                        # Unicode NFKC before the privacy scrub
    libcurl4-openssl-dev                    # libcurl: the notifier's SMTP (and later HTTP) delivery
    libmicrohttpd-dev                       # every daemon's /metrics and /healthz; the analytics dashboard
    libgmime-3.0-dev                        # GMime: MIME parsing in the e-mail adapter (services/mail) only
    liblunar-date-dev                       # the lunar calendar's tables: complaintctl calendar statutory only
    postgresql postgresql-client            # the embedded cluster, psql for scripts and tests
    python3-zmq python3-msgpack             # tests drive the daemons as real ZeroMQ clients
    jq                                      # tests check complaintctl's JSON lines
    curl                                    # tests call the daemons' HTTP endpoints (hotline_desk, notify_secrets)
    python3-aiosmtpd openssl                # notify_tls: a relay demanding STARTTLS + AUTH, a test CA
    chromium fonts-noto-cjk                 # the bulletin's PDF (headless print); dashboard tests, CJK glyphs
    python3-websocket python3-yaml          # web tests: Chromium's DevTools protocol; the OpenAPI document
    poppler-utils                           # pdfinfo: the dashboard test checks the bulletin PDF's pages
    procps util-linux                       # ps for status; runuser and setsid for up.sh
    tzdata                                  # time zones of the SLA calendars (Asia/Shanghai ...)
)

missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ $status == installed ]] || missing+=("$p")
done

if (( ${#missing[@]} == 0 )); then
    echo "install-deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "install-deps: error: not root and no sudo" >&2; exit 1; }
    SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done"
