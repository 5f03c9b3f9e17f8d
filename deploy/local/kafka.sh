#!/usr/bin/env bash
# Single-node Kafka (KRaft, no ZooKeeper) for local runs and tests, no Docker.
#
#   deploy/local/kafka.sh start|stop|status
#
# Env: KAFKA_BOOTSTRAP_SERVERS (set: `start` uses that cluster, starts nothing),
#      BATON_KAFKA_PORT (9092), BATON_KAFKA_CONTROLLER_PORT (9093),
#      BATON_CACHE_DIR (~/.cache/baton: jars), BATON_STATE_DIR (<repo>/.run),
#      KAFKA_HEAP_OPTS (-Xms256m -Xmx512m), KAFKA_OPTS (extra JVM options).
#
# Secured listeners, for trying (and testing) Baton's TLS and SASL settings; each
# is off unless its port is set:
#      BATON_KAFKA_SASL_SSL_PORT  SASL over TLS: PLAIN and SCRAM-SHA-512,
#                                 user "baton", password BATON_KAFKA_SASL_PASSWORD
#                                 (or one generated into <state>/kafka/tls/sasl-password)
#      BATON_KAFKA_SSL_PORT       TLS that requires a client certificate (mutual TLS)
# Both use certificates made with openssl into <state>/kafka/tls/ on first use: a
# local CA (ca.pem), the broker's (for 127.0.0.1 and localhost) and a client's
# (client.pem, client-key.pem). `start` prints the settings a service needs.
#
# The broker jars come from Maven Central (the Apache download site is not
# reachable from our machines), listed in kafka/pom.xml.
set -euo pipefail

KAFKA_VERSION=3.9.1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
libs="${BATON_CACHE_DIR:-$HOME/.cache/baton}/kafka-$KAFKA_VERSION/libs"
state="${BATON_STATE_DIR:-$repo/.run}/kafka"
port="${BATON_KAFKA_PORT:-9092}"
ctrl_port="${BATON_KAFKA_CONTROLLER_PORT:-9093}"
sasl_ssl_port="${BATON_KAFKA_SASL_SSL_PORT:-}"
ssl_port="${BATON_KAFKA_SSL_PORT:-}"
tls="$state/tls"
pidfile="$state/kafka.pid"
logfile="$state/kafka.log"
bootstrap="127.0.0.1:$port"

die() { echo "kafka.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "'$1' not found; install it: apt-get install -y $2"; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# True when the pid file names a live broker. Checking the command line, not
# just the pid, guards against a stale pid file whose pid was reused.
running() {
  local pid
  pid="$(cat "$pidfile" 2>/dev/null)" || return 1
  [[ -n "$pid" ]] && grep -qa 'kafka\.Kafka' "/proc/$pid/cmdline" 2>/dev/null
}

fetch_libs() {
  [[ -d "$libs" ]] && return
  need mvn maven
  echo "kafka.sh: fetching Kafka $KAFKA_VERSION jars into $libs (first run only)"
  mkdir -p "$(dirname "$libs")"
  # Fetch into a temp dir and rename it into place, so an interrupted fetch
  # never leaves a half-filled cache that would later look complete.
  tmp="$(mktemp -d "$libs.tmp.XXXXXX")"
  trap 'rm -rf "$tmp" "$tmp.log"' EXIT
  trap 'exit 1' INT TERM HUP  # so the EXIT trap cleans up on Ctrl-C too
  # mvn's output is only worth showing when it fails.
  if ! mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$tmp" -DincludeScope=runtime >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    die "could not fetch the Kafka jars from Maven Central (mvn output above)"
  fi
  chmod 755 "$tmp"
  # -T: if a concurrent run won the race, keep its copy and drop ours.
  mv -T "$tmp" "$libs" 2>/dev/null || rm -rf "$tmp"
}

# The listeners clients use, as advertised (and as matched on a restart).
advertised() {
  local out="PLAINTEXT://$bootstrap"
  [[ -z "$sasl_ssl_port" ]] || out+=",SASL_SSL://127.0.0.1:$sasl_ssl_port"
  [[ -z "$ssl_port" ]] || out+=",SSL://127.0.0.1:$ssl_port"
  echo "$out"
}

secured() { [[ -n "$sasl_ssl_port$ssl_port" ]]; }

# A throwaway CA, the broker's certificate and a client's, once per state dir.
make_certs() {
  [[ -f "$tls/client.pem" ]] && return
  need openssl openssl
  mkdir -p "$(dirname "$tls")"
  local tmp
  tmp="$(mktemp -d "$tls.tmp.XXXXXX")"
  if ! (
    set -e
    cd "$tmp"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Baton local test CA" \
      -keyout ca-key.pem -out ca.pem \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    sign() { # name, subject, extension lines
      openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1-key.pem" -out "$1.csr"
      printf '%s\n' "$3" "authorityKeyIdentifier=keyid" "subjectKeyIdentifier=hash" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
        -days 825 -extfile "$1.ext" -out "$1.pem"
    }
    sign broker "/CN=localhost" $'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'
    sign client "/CN=baton" "extendedKeyUsage=clientAuth"
    # Kafka's PEM key store: the private key (PKCS#8) followed by the certificate.
    cat broker-key.pem broker.pem >broker-keystore.pem
    rm -f ./*.csr ./*.ext ./*.srl broker-key.pem broker.pem
  ) >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "openssl could not make the test certificates (output above)"
  fi
  rm -f "$tmp.log"
  chmod 700 "$tmp"
  mv -T "$tmp" "$tls" 2>/dev/null || rm -rf "$tmp"
}

sasl_password() {
  if [[ -n "${BATON_KAFKA_SASL_PASSWORD:-}" ]]; then
    echo "$BATON_KAFKA_SASL_PASSWORD"
    return
  fi
  if [[ ! -s "$tls/sasl-password" ]]; then
    (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$tls/sasl-password")
  fi
  cat "$tls/sasl-password"
}

write_config() {
  mkdir -p "$state/data"
  local listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$ctrl_port"
  local protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [[ -n "$sasl_ssl_port" ]]; then
    listeners+=",SASL_SSL://127.0.0.1:$sasl_ssl_port"
    protocols+=",SASL_SSL:SASL_SSL"
  fi
  if [[ -n "$ssl_port" ]]; then
    listeners+=",SSL://127.0.0.1:$ssl_port"
    protocols+=",SSL:SSL"
  fi
  # 077: with a secured listener the file holds the SASL password.
  (umask 077 && cat >"$state/server.properties") <<EOF
# Generated by deploy/local/kafka.sh on each start; edit the script, not this.
process.roles=broker,controller
node.id=1
# 127.0.0.1 rather than localhost: localhost may resolve to ::1 first.
controller.quorum.voters=1@127.0.0.1:$ctrl_port
listeners=$listeners
advertised.listeners=$(advertised)
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$state/data
# One broker: every replication factor / ISR is 1. Fewer internal partitions
# and no rebalance delay make the first consumer group / transaction fast.
num.partitions=3
auto.create.topics.enable=false
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
EOF
  secured || return 0
  local pw
  pw="$(sasl_password)"
  cat >>"$state/server.properties" <<EOF
# Secured listeners (BATON_KAFKA_SASL_SSL_PORT, BATON_KAFKA_SSL_PORT).
ssl.keystore.type=PEM
ssl.keystore.location=$tls/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$tls/ca.pem
listener.name.ssl.ssl.client.auth=required
listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_baton="$pw";
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
}

# SCRAM credentials live in the cluster's metadata: (re)set them on each start.
add_scram_user() {
  [[ -n "$sasl_ssl_port" ]] || return 0
  local pw
  pw="$(sasl_password)"
  java "-Dlog4j.configuration=file:$here/kafka/log4j.properties" -cp "$libs/*" \
    kafka.admin.ConfigCommand --bootstrap-server "$bootstrap" --alter \
    --entity-type users --entity-name baton \
    --add-config "SCRAM-SHA-512=[iterations=4096,password=$pw]" \
    >"$state/scram.log" 2>&1 || { cat "$state/scram.log" >&2; die "could not add the SCRAM user"; }
}

# What a Baton service sets to reach each listener.
print_client_settings() {
  echo "KAFKA_BOOTSTRAP_SERVERS=$bootstrap"
  if [[ -n "$sasl_ssl_port" ]]; then
    echo "# SASL over TLS:"
    echo "#   KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$sasl_ssl_port BATON_KAFKA_SECURITY_PROTOCOL=SASL_SSL"
    echo "#   BATON_KAFKA_SASL_MECHANISM=SCRAM-SHA-512 BATON_KAFKA_SASL_USERNAME=baton"
    echo "#   BATON_KAFKA_SASL_PASSWORD=\$(cat $tls/sasl-password) BATON_KAFKA_SSL_CAFILE=$tls/ca.pem"
  fi
  if [[ -n "$ssl_port" ]]; then
    echo "# Mutual TLS:"
    echo "#   KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$ssl_port BATON_KAFKA_SECURITY_PROTOCOL=SSL"
    echo "#   BATON_KAFKA_SSL_CAFILE=$tls/ca.pem BATON_KAFKA_SSL_CERTFILE=$tls/client.pem"
    echo "#   BATON_KAFKA_SSL_KEYFILE=$tls/client-key.pem"
  fi
  return 0
}

start() {
  if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
    echo "kafka.sh: KAFKA_BOOTSTRAP_SERVERS is set; using that cluster ($KAFKA_BOOTSTRAP_SERVERS), starting nothing"
    return
  fi
  if running; then
    # Same state dir, other port: don't wait 60s for a port that never opens.
    grep -qxF "advertised.listeners=$(advertised)" "$state/server.properties" ||
      die "the broker of $state is already running with other listeners; stop it first"
    echo "kafka.sh: already running (pid $(cat "$pidfile"))"
    wait_ready
    print_client_settings
    return
  fi
  need java openjdk-17-jdk-headless
  for p in "$port" "$ctrl_port" $sasl_ssl_port $ssl_port; do
    if port_open "$p"; then
      die "port $p is already in use by another process (see the ports' variables at the top of $0)"
    fi
  done
  fetch_libs
  if secured; then make_certs; fi
  write_config

  # KRaft needs its storage formatted once, with a cluster id.
  if [[ ! -f "$state/data/meta.properties" ]]; then
    local tool=(java "-Dlog4j.configuration=file:$here/kafka/log4j.properties"
      -cp "$libs/*" kafka.tools.StorageTool) cluster_id
    cluster_id="$("${tool[@]}" random-uuid)"
    "${tool[@]}" format -t "$cluster_id" -c "$state/server.properties" >/dev/null
  fi

  echo "kafka.sh: starting broker on $bootstrap (log: $logfile)"
  # setsid+nohup detach the broker from this shell, so it outlives the caller
  # and its Ctrl-C; both exec, so $! is the java pid.
  # shellcheck disable=SC2086  # KAFKA_HEAP_OPTS / KAFKA_OPTS are word lists
  setsid nohup java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$here/kafka/log4j.properties" ${KAFKA_OPTS:-} \
    -cp "$libs/*" kafka.Kafka "$state/server.properties" \
    >"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
  wait_ready
  add_scram_user
  print_client_settings
}

# Up means the port answers AND the broker logged that startup finished (the
# port opens a little before the broker can serve metadata requests).
wait_ready() {
  local start=$SECONDS
  for _ in $(seq 120); do
    # The pid is setsid's, then nohup's, then (once they exec) java's: only its
    # disappearance means the broker exited; its command line says kafka.Kafka
    # only once java runs.
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      tail -n 50 "$logfile" >&2 || true
      die "broker exited during startup (log above, full log: $logfile)"
    fi
    if port_open "$port" && grep -q 'Kafka Server started' "$logfile" 2>/dev/null; then
      echo "kafka.sh: broker ready after $((SECONDS - start))s"
      return
    fi
    sleep 0.5
  done
  tail -n 50 "$logfile" >&2 || true
  die "broker not ready after 60s (log above, full log: $logfile); still running, stop it with: $0 stop"
}

stop() {
  if ! running; then
    echo "kafka.sh: not running"
    rm -f "$pidfile"
    return
  fi
  local pid
  pid="$(cat "$pidfile")"
  kill -TERM "$pid"
  # A clean shutdown lets the next start skip log recovery; give it 20s.
  for _ in $(seq 40); do
    running || break
    sleep 0.5
  done
  if running; then
    echo "kafka.sh: broker did not stop within 20s, killing it" >&2
    kill -KILL "$pid" || true
  fi
  rm -f "$pidfile"
  echo "kafka.sh: stopped"
}

status() {
  if running; then
    echo "kafka.sh: running (pid $(cat "$pidfile")) at $bootstrap"
  else
    echo "kafka.sh: not running"
    return 1
  fi
}

case "${1:-}" in
  start | stop | status) "$1" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
