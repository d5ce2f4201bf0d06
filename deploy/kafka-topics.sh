#!/usr/bin/env bash
# Create the VIAS platform topics on a production Apache Kafka cluster, with Kafka's own
# kafka-topics.sh (and kafka-configs.sh to (re)apply topic settings on topics that exist).
#
#   vias.<service>.events.v1   events a service publishes        retention 7 days
#   vias.<service>.dlq.v1      dead letters of its consumer group  retention 30 days
#   for service in intake, visitation, leverance, documents, notifications, statistics
#
# All topics: replication factor 3, min.insync.replicas=2. Safe to run again: existing topics
# are left in place, get their settings re-applied and their partition count checked.
#
# Usage:
#   deploy/kafka-topics.sh --bootstrap-server HOST:PORT[,HOST:PORT...] \
#       [--command-config client.properties] [--partitions N] [--dry-run]
#
# Environment (flags win): KAFKA_BOOTSTRAP_SERVERS, KAFKA_COMMAND_CONFIG, VIAS_TOPIC_PARTITIONS
# (default 6), VIAS_TOPIC_REPLICATION_FACTOR (default 3), VIAS_TOPIC_MIN_INSYNC_REPLICAS
# (default 2), KAFKA_BIN (directory holding kafka-topics.sh; default: found on PATH).
#
# The partition count must equal VIAS_KAFKA_TOPIC_PARTITIONS in the services' ConfigMap.
#
# For SASL_SSL, the client.properties given with --command-config looks like:
#   security.protocol=SASL_SSL
#   sasl.mechanism=SCRAM-SHA-512
#   sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
#     username="admin-user" password="admin-password";
#   # ssl.truststore.location=/path/truststore.p12 (or ssl.truststore.type=PEM ...) if private CA
set -euo pipefail

SERVICES=(intake visitation leverance documents notifications statistics)
EVENTS_RETENTION_MS=$((7 * 24 * 60 * 60 * 1000))   # 604800000
DLQ_RETENTION_MS=$((30 * 24 * 60 * 60 * 1000))     # 2592000000

bootstrap="${KAFKA_BOOTSTRAP_SERVERS:-}"
command_config="${KAFKA_COMMAND_CONFIG:-}"
partitions="${VIAS_TOPIC_PARTITIONS:-6}"
replication_factor="${VIAS_TOPIC_REPLICATION_FACTOR:-3}"
min_insync="${VIAS_TOPIC_MIN_INSYNC_REPLICAS:-2}"
dry_run=false

usage() {
    sed -n '2,/^set -euo pipefail$/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --bootstrap-server) bootstrap="${2:?--bootstrap-server needs a value}"; shift 2 ;;
        --command-config) command_config="${2:?--command-config needs a value}"; shift 2 ;;
        --partitions) partitions="${2:?--partitions needs a value}"; shift 2 ;;
        --dry-run) dry_run=true; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

if [[ -z "$bootstrap" ]]; then
    echo "error: give --bootstrap-server (or set KAFKA_BOOTSTRAP_SERVERS)" >&2
    exit 2
fi
for value in "$partitions" "$replication_factor" "$min_insync"; do
    if ! [[ "$value" =~ ^[1-9][0-9]*$ ]]; then
        echo "error: partitions, replication factor and min.insync.replicas must be positive integers" >&2
        exit 2
    fi
done
if (( min_insync > replication_factor )); then
    echo "error: min.insync.replicas ($min_insync) exceeds the replication factor ($replication_factor)" >&2
    exit 2
fi
if [[ -n "$command_config" && ! -r "$command_config" ]]; then
    echo "error: cannot read $command_config" >&2
    exit 2
fi

tool() {
    if [[ -n "${KAFKA_BIN:-}" ]]; then
        echo "${KAFKA_BIN%/}/$1"
    else
        echo "$1"
    fi
}
KAFKA_TOPICS="$(tool kafka-topics.sh)"
KAFKA_CONFIGS="$(tool kafka-configs.sh)"
if ! $dry_run; then
    for t in "$KAFKA_TOPICS" "$KAFKA_CONFIGS"; do
        if ! command -v "$t" >/dev/null 2>&1; then
            echo "error: $t not found; put Kafka's bin/ on PATH or set KAFKA_BIN" >&2
            exit 2
        fi
    done
fi

connection=(--bootstrap-server "$bootstrap")
if [[ -n "$command_config" ]]; then
    connection+=(--command-config "$command_config")
fi

run() {
    if $dry_run; then
        printf '%q ' "$@"
        printf '\n'
    else
        "$@"
    fi
}

# create_topic NAME RETENTION_MS
create_topic() {
    local topic="$1" retention_ms="$2"
    echo "== $topic (partitions=$partitions, replication-factor=$replication_factor," \
        "min.insync.replicas=$min_insync, retention.ms=$retention_ms)"
    run "$KAFKA_TOPICS" "${connection[@]}" --create --if-not-exists --topic "$topic" \
        --partitions "$partitions" --replication-factor "$replication_factor" \
        --config "min.insync.replicas=$min_insync" \
        --config "retention.ms=$retention_ms" \
        --config "cleanup.policy=delete"
    # --if-not-exists leaves an existing topic's settings alone: apply them explicitly.
    run "$KAFKA_CONFIGS" "${connection[@]}" --alter --entity-type topics --entity-name "$topic" \
        --add-config "min.insync.replicas=$min_insync,retention.ms=$retention_ms,cleanup.policy=delete"
    if $dry_run; then
        return 0
    fi
    local described count
    described="$("$KAFKA_TOPICS" "${connection[@]}" --describe --topic "$topic")"
    count="$(grep -o 'PartitionCount: *[0-9]*' <<<"$described" | head -n 1 | grep -o '[0-9]*$' || true)"
    if [[ "$count" != "$partitions" ]]; then
        echo "WARNING: $topic has ${count:-an unknown number of} partitions, not $partitions;" \
            "VIAS_KAFKA_TOPIC_PARTITIONS must match the real count" >&2
        mismatches=$((mismatches + 1))
    fi
}

mismatches=0
for service in "${SERVICES[@]}"; do
    create_topic "vias.${service}.events.v1" "$EVENTS_RETENTION_MS"
    create_topic "vias.${service}.dlq.v1" "$DLQ_RETENTION_MS"
done

if (( mismatches > 0 )); then
    echo "done, with $mismatches topic(s) whose partition count differs (see warnings)" >&2
    exit 1
fi
echo "done: ${#SERVICES[@]} events topics and ${#SERVICES[@]} dead-letter topics"
