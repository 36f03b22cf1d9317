#!/bin/sh
# Renders alertmanager.yml from alertmanager.yml.tmpl with receiver settings from
# the environment, then execs Alertmanager with the remaining arguments.
#   entrypoint.sh --render-only   only writes the rendered file (used by the tests)
# POSIX sh and sed only: the Alertmanager image is busybox-based.
set -eu

template="${ALERTMANAGER_TEMPLATE:-/etc/alertmanager/alertmanager.yml.tmpl}"
rendered="${ALERTMANAGER_CONFIG:-/tmp/alertmanager.yml}"

: "${ALERT_WEBHOOK_URL:=http://127.0.0.1:9/alert-webhook-not-configured}"
: "${SLACK_WEBHOOK_URL:=http://127.0.0.1:9/slack-webhook-not-configured}"
: "${SLACK_CHANNEL:=#agent-alerts}"
: "${PAGERDUTY_ROUTING_KEY:=pagerduty-routing-key-not-configured}"
: "${PAGERDUTY_URL:=https://events.pagerduty.com/v2/enqueue}"

# Escapes a value for the replacement side of a sed s|||: \, & and the delimiter.
# A single quote is doubled because the template puts values in '...' YAML scalars.
escape() {
    printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g' -e "s/'/''/g"
}

sed \
    -e "s|\${ALERT_WEBHOOK_URL}|$(escape "$ALERT_WEBHOOK_URL")|g" \
    -e "s|\${SLACK_WEBHOOK_URL}|$(escape "$SLACK_WEBHOOK_URL")|g" \
    -e "s|\${SLACK_CHANNEL}|$(escape "$SLACK_CHANNEL")|g" \
    -e "s|\${PAGERDUTY_ROUTING_KEY}|$(escape "$PAGERDUTY_ROUTING_KEY")|g" \
    -e "s|\${PAGERDUTY_URL}|$(escape "$PAGERDUTY_URL")|g" \
    "$template" > "$rendered"

if [ "${1:-}" = "--render-only" ]; then
    exit 0
fi
exec /bin/alertmanager --config.file="$rendered" "$@"
