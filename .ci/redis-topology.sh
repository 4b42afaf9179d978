#!/usr/bin/env bash
# Runs the Redis topologies the Cluster and Sentinel tests need, on loopback
# ports of their own, apart from the shared Redis on 6379 (never touched):
#
#   Cluster:  6 nodes on 7101-7106, 3 masters with 1 replica each.
#   Sentinel: master 7201, replica 7202, sentinels 7211-7213 that monitor
#             them as "scopestore-master" with a quorum of 2.
#
#   bash .ci/redis-topology.sh start    # start, or repair; a no-op when healthy
#   bash .ci/redis-topology.sh status   # report; exit 1 when not healthy
#   bash .ci/redis-topology.sh stop     # shut everything down, remove the dir
#
# start prints the SCOPESTORE_TEST_* exports on stdout (progress goes to
# stderr, so `eval "$(bash .ci/redis-topology.sh start)"` works) and writes
# them to $DIR/env for `set -a; . $DIR/env; set +a`.
#
# Tests kill masters and trigger failovers, so a topology is only "healthy"
# when every node is up and in its original shape (3 masters each with a
# linked replica; a sentinel master with a linked replica and a quorum). When
# it is not, start rebuilds that topology from scratch: there is no data in
# it worth keeping, and a fresh start is the one repair that always works.
set -euo pipefail

DIR=${SCOPESTORE_REDIS_TOPOLOGY_DIR:-/tmp/scopestore-redis-topology}
HOST=127.0.0.1
CLUSTER_PORTS=(7101 7102 7103 7104 7105 7106)
DATA_MASTER=7201
DATA_REPLICA=7202
SENTINEL_PORTS=(7211 7212 7213)
MASTER_NAME=scopestore-master
WAIT_SECONDS=60

log() { printf '%s\n' "redis-topology: $*" >&2; }
die() { log "$*"; exit 1; }

# cli runs one command against a node. The timeout keeps a hung node (a test
# may SIGSTOP one) from hanging the script; CR is stripped from replies.
cli() {
  local port=$1; shift
  timeout 3 redis-cli -h "$HOST" -p "$port" "$@" 2>/dev/null | tr -d '\r'
}

# field prints the value of "name:value" from INFO-style text on stdin.
field() { sed -n "s/^$1://p" | head -n1; }

up() { [ "$(cli "$1" ping)" = PONG ]; }

# linked: the node is a replica whose replication link is up.
linked() { [ "$(cli "$1" info replication | field master_link_status)" = up ]; }

# wait_until retries a command for WAIT_SECONDS.
wait_until() {
  local what=$1; shift
  local i
  for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
    if "$@"; then return 0; fi
    sleep 0.5
  done
  log "$what: not ready after ${WAIT_SECONDS}s"
  return 1
}

# listener_pid prints the pid of the process listening on HOST:port, if any.
listener_pid() {
  { ss -Hltnp "sport = :$1" 2>/dev/null || true; } | { grep -o 'pid=[0-9]*' || true; } | head -n1 | cut -d= -f2
}

# stop_port shuts a node down without saving; a node that does not obey in
# time (hung, or stopped by a test) is killed by the pid that listens on its
# port, and only when that process is a Redis one.
stop_port() {
  local port=$1 pid i
  cli "$port" shutdown nosave >/dev/null || true
  for ((i = 0; i < 20; i++)); do
    pid=$(listener_pid "$port")
    [ -z "$pid" ] && return 0
    sleep 0.25
  done
  if grep -q '^redis-' "/proc/$pid/comm" 2>/dev/null; then
    log "port $port: did not shut down, killing pid $pid"
    kill -9 "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
      [ -z "$(listener_pid "$port")" ] && return 0
      sleep 0.25
    done
  fi
  die "port $port is still in use (pid ${pid:-?}); stop that process by hand"
}

# start_node starts a data node with the options they all share (loopback
# only, no persistence: tests start from nothing; daemonized, its log in
# DIR) and any extra ones.
start_node() {
  local port=$1; shift
  redis-server --port "$port" --bind "$HOST" --daemonize yes \
    --dir "$DIR/$port" --logfile "$DIR/$port.log" --pidfile "$DIR/$port.pid" \
    --save "" --appendonly no "$@" 9>&- \
    || die "redis-server on $port did not start; see $DIR/$port.log"
}

## Cluster

# cluster_healthy: every node up with cluster_state:ok and 6 known nodes,
# 3 masters serving slots each with one replica whose replication link is up,
# and no node flagged fail/pfail/handshake.
cluster_healthy() {
  local port info nodes
  for port in "${CLUSTER_PORTS[@]}"; do
    up "$port" || return 1
    info=$(cli "$port" cluster info)
    [ "$(field cluster_state <<<"$info")" = ok ] || return 1
    [ "$(field cluster_known_nodes <<<"$info")" = 6 ] || return 1
    if [ "$(cli "$port" info replication | field role)" = slave ]; then
      linked "$port" || return 1
    fi
  done
  nodes=$(cli "${CLUSTER_PORTS[0]}" cluster nodes)
  awk '
    $3 ~ /fail|noaddr|handshake/ || $8 != "connected" { bad = 1 }
    $3 ~ /master/ && NF >= 9 { master[$1] = 1; masters++ }
    $3 ~ /slave/ { of[$4]++; slaves++ }
    END {
      if (bad || masters != 3 || slaves != 3) exit 1
      for (m in master) if (of[m] != 1) exit 1
    }' <<<"$nodes"
}

start_cluster() {
  local port
  log "cluster: starting a fresh one on ${CLUSTER_PORTS[0]}-${CLUSTER_PORTS[-1]}"
  for port in "${CLUSTER_PORTS[@]}"; do stop_port "$port"; done
  for port in "${CLUSTER_PORTS[@]}"; do
    rm -rf "${DIR:?}/$port" "$DIR/$port".*
    mkdir -p "$DIR/$port"
    # cluster-node-timeout 2000: a killed master is flagged failing after
    # 2 s and its replica promoted a second or two later, so failover tests
    # take seconds, not the default 15 s+.
    # cluster-replica-validity-factor 0: a replica may always stand for
    # election. With the default (10) a replica that lost its master more
    # than node-timeout*10 + repl-ping-period ago (about 30 s here) refuses to
    # take over; on a loaded CI machine that makes failover flaky, and the
    # data in a test cluster is never worth that safety.
    start_node "$port" \
      --cluster-enabled yes --cluster-config-file "nodes-$port.conf" \
      --cluster-node-timeout 2000 --cluster-replica-validity-factor 0
  done
  for port in "${CLUSTER_PORTS[@]}"; do
    wait_until "cluster node $port" up "$port" || die "see $DIR/$port.log"
  done
  local addrs=()
  for port in "${CLUSTER_PORTS[@]}"; do addrs+=("$HOST:$port"); done
  redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes \
    >"$DIR/cluster-create.log" 2>&1 \
    || { cat "$DIR/cluster-create.log" >&2; die "cluster: redis-cli --cluster create failed"; }
  wait_until "cluster" cluster_healthy || { cluster_status >&2; die "cluster did not become healthy"; }
  log "cluster: ok"
}

cluster_status() {
  local port
  for port in "${CLUSTER_PORTS[@]}"; do
    if up "$port"; then
      printf 'cluster  %s  %-6s %s\n' "$port" \
        "$(cli "$port" info replication | field role)" \
        "cluster_state:$(cli "$port" cluster info | field cluster_state)"
    else
      printf 'cluster  %s  down\n' "$port"
    fi
  done
}

## Sentinel

# sentinel_healthy: every sentinel up, agreeing on the master and able to
# reach a quorum (SENTINEL CKQUORUM), the master one of ours with a replica
# whose replication link is up.
sentinel_healthy() {
  local port addr first="" master replica
  for port in "${SENTINEL_PORTS[@]}"; do
    up "$port" || return 1
    cli "$port" sentinel ckquorum "$MASTER_NAME" | grep -q '^OK' || return 1
    addr=$(cli "$port" sentinel get-master-addr-by-name "$MASTER_NAME" | paste -sd:)
    [ -n "$addr" ] || return 1
    [ -z "$first" ] && first=$addr
    [ "$addr" = "$first" ] || return 1
  done
  master=${first##*:}
  case $master in
    "$DATA_MASTER") replica=$DATA_REPLICA ;;
    "$DATA_REPLICA") replica=$DATA_MASTER ;;
    *) return 1 ;;
  esac
  [ "$(cli "$master" info replication | field role)" = master ] || return 1
  [ "$(cli "$replica" info replication | field master_port)" = "$master" ] || return 1
  linked "$replica"
}

start_sentinel() {
  local port
  log "sentinel: starting a fresh set (data $DATA_MASTER/$DATA_REPLICA, sentinels ${SENTINEL_PORTS[0]}-${SENTINEL_PORTS[-1]})"
  # Sentinels first, so that none of them fails over while the nodes stop.
  for port in "${SENTINEL_PORTS[@]}" "$DATA_MASTER" "$DATA_REPLICA"; do stop_port "$port"; done
  for port in "$DATA_MASTER" "$DATA_REPLICA" "${SENTINEL_PORTS[@]}"; do
    rm -rf "${DIR:?}/$port" "$DIR/$port".*
    mkdir -p "$DIR/$port"
  done
  start_node "$DATA_MASTER"
  start_node "$DATA_REPLICA" --replicaof "$HOST" "$DATA_MASTER"
  wait_until "sentinel replica link" linked "$DATA_REPLICA" \
    || die "see $DIR/$DATA_MASTER.log and $DIR/$DATA_REPLICA.log"
  for port in "${SENTINEL_PORTS[@]}"; do
    # Sentinel rewrites its config file with what it learns, so each has
    # its own, in its own dir. down-after 2000 ms: failover tests take
    # seconds. resolve-hostnames no: addresses are IPs only.
    cat >"$DIR/$port/sentinel.conf" <<EOF
port $port
bind $HOST
daemonize yes
pidfile $DIR/$port.pid
logfile $DIR/$port.log
dir $DIR/$port
sentinel resolve-hostnames no
sentinel monitor $MASTER_NAME $HOST $DATA_MASTER 2
sentinel down-after-milliseconds $MASTER_NAME 2000
sentinel failover-timeout $MASTER_NAME 10000
sentinel parallel-syncs $MASTER_NAME 1
EOF
    # redis-server --sentinel is redis-sentinel, which Debian ships in a
    # package of its own.
    redis-server "$DIR/$port/sentinel.conf" --sentinel 9>&- \
      || die "sentinel on $port did not start; see $DIR/$port.log"
  done
  wait_until "sentinel" sentinel_healthy || { sentinel_status >&2; die "sentinel set did not become healthy"; }
  log "sentinel: ok"
}

sentinel_status() {
  local port
  for port in "$DATA_MASTER" "$DATA_REPLICA"; do
    if up "$port"; then
      printf 'sentinel-data %s  %s\n' "$port" "$(cli "$port" info replication | field role)"
    else
      printf 'sentinel-data %s  down\n' "$port"
    fi
  done
  for port in "${SENTINEL_PORTS[@]}"; do
    if up "$port"; then
      printf 'sentinel %s  master %s  %s\n' "$port" \
        "$(cli "$port" sentinel get-master-addr-by-name "$MASTER_NAME" | paste -sd:)" \
        "$(cli "$port" sentinel ckquorum "$MASTER_NAME" | head -c 40)"
    else
      printf 'sentinel %s  down\n' "$port"
    fi
  done
}

## Commands

exports() {
  local cluster sentinels port
  cluster=$(for port in "${CLUSTER_PORTS[@]}"; do printf '%s:%s\n' "$HOST" "$port"; done | paste -sd,)
  sentinels=$(for port in "${SENTINEL_PORTS[@]}"; do printf '%s:%s\n' "$HOST" "$port"; done | paste -sd,)
  printf 'SCOPESTORE_TEST_REDIS_CLUSTER=%s\n' "$cluster"
  printf 'SCOPESTORE_TEST_REDIS_SENTINEL=%s\n' "$sentinels"
  printf 'SCOPESTORE_TEST_REDIS_SENTINEL_MASTER=%s\n' "$MASTER_NAME"
}

# lock serialises start and stop, so that two CI runs on one machine do not
# build the same topology at once. The servers are started with fd 9 closed:
# a daemon that inherited it would hold the lock for as long as it runs.
lock() {
  mkdir -p "$(dirname "$DIR")"
  exec 9>"$DIR.lock"
  flock -w 120 9 || die "another redis-topology.sh holds $DIR.lock (or a process that inherited it)"
}

cmd_start() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
    || die "redis-server and redis-cli are needed (Debian: apt-get install redis-server)"
  lock
  mkdir -p "$DIR"
  if cluster_healthy; then log "cluster: already healthy"; else start_cluster; fi
  if sentinel_healthy; then log "sentinel: already healthy"; else start_sentinel; fi
  exports >"$DIR/env"
  sed 's/^/export /' "$DIR/env"
}

cmd_stop() {
  lock
  local port
  for port in "${SENTINEL_PORTS[@]}" "$DATA_MASTER" "$DATA_REPLICA" "${CLUSTER_PORTS[@]}"; do
    stop_port "$port"
  done
  rm -rf "${DIR:?}"
  log "stopped; removed $DIR"
}

cmd_status() {
  local rc=0
  cluster_status
  sentinel_status
  if cluster_healthy; then echo "cluster: healthy"; else echo "cluster: NOT healthy"; rc=1; fi
  if sentinel_healthy; then echo "sentinel: healthy"; else echo "sentinel: NOT healthy"; rc=1; fi
  return "$rc"
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
