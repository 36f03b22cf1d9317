#!/usr/bin/env bash
# System packages the tests need: a C compiler for the compiled event builder,
# Prometheus (server + promtool) and Alertmanager (amtool) for the operations tests,
# Java 17 + Maven to fetch and run the
# Kafka broker, tmux for the monitor's screen test, Chromium and its driver for the serve
# page's and the Jaeger trace view's browser tests. Idempotent: installs only what is
# missing, and refreshes the package index at most once per run.
set -euo pipefail

need=()
command -v promtool >/dev/null 2>&1 && [ -x /usr/bin/prometheus ] || need+=(prometheus)
command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
# A C compiler: the install compiles the event builder's accelerator (pure Python without).
command -v cc >/dev/null 2>&1 || need+=(gcc)
# Browser tests: Debian's Chromium and the chromedriver of the same build, and a font so
# screenshots show text.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)

if [ "${#need[@]}" -gt 0 ]; then
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -q
    "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${need[@]}"
    # The Debian packages start their daemons on 0.0.0.0; tests run their own
    # instances on 127.0.0.1, so stop the packaged ones where a service manager exists.
    for svc in prometheus prometheus-alertmanager; do
        if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
            "${sudo_cmd[@]}" systemctl stop "$svc" || true
        fi
    done
fi

# The Collector and Jaeger are built with Go from the Go module proxy by the test fixtures.
command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] || echo "warning: go not found; Collector and Jaeger tests cannot build them" >&2
