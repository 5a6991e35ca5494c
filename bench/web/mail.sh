#!/usr/bin/env bash
# Mail outbox benchmark: carehub draining N queued messages to a real SMTP server on loopback, and,
# in the same run, the same server fed the same number of messages by Python's smtplib over one
# session (the peer: what the SMTP server itself takes).
#
#   bash bench/web/mail.sh           # 10,000 messages
#   N=1000 bash bench/web/mail.sh    # quick look
#
# The SMTP server is Debian's python3-aiosmtpd (tests/support/smtp_server.py): STARTTLS required,
# a certificate made here, each message written to a file on tmpfs. Both senders use STARTTLS.
#   (1) peer: smtplib sends N messages of the size carehub's are, one session; seconds, msgs/s.
#   (2) carehub: `carehub mail-test --count N` queues N messages in the outbox (one unit of work,
#       not timed), then `carehub serve` starts (jobs.concurrency workers, SQLite) and the time
#       from its start to the Nth message written by the SMTP server is taken; msgs/s. Valid only
#       if every outbox row ends `sent` and the server wrote N files.
# Printed: both rates, the ratio, carehub's peak RSS. There is no target in the issue beyond
# printing the rate; nothing here fails the run but an error.
#
# Environment: N (default 10000), CAREHUB_BIN (use this binary, skip the build), CONCURRENCY
# (jobs.concurrency, default 2), KEEP_TMP=1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
n=${N:-10000}
concurrency=${CONCURRENCY:-2}
[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a number >= 1"
install_tools python3=python3 openssl=openssl curl=curl
install_packages python3-aiosmtpd
bin=$(carehub_binary)
bench_tmp_and_traps
scratch=$(mktemp -d /dev/shm/carehub-mail.XXXXXX)
trap 'rm -rf "$scratch"; bench_cleanup' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$tmp/smtp.key" -out "$tmp/smtp.pem" \
  >/dev/null 2>&1

# start_smtp DIR: the SMTP server writing into DIR (global smtp_pid, smtp_port).
start_smtp() {
  mkdir -p "$1"
  smtp_port=$(free_port)
  /usr/bin/python3 "$bench_root/tests/support/smtp_server.py" --dir "$1" --port "$smtp_port" \
    --cert "$tmp/smtp.pem" --key "$tmp/smtp.key" 2>"$tmp/smtp.log" &
  smtp_pid=$!
  track_pid "$smtp_pid"
  for _ in $(seq 100); do [[ -e $1/ready ]] && return 0; sleep 0.1; done
  cat "$tmp/smtp.log" >&2
  die "the SMTP server did not start"
}
stop_smtp() { stop_process "$smtp_pid"; untrack_pid "$smtp_pid"; }
count_eml() { find "$1" -maxdepth 1 -name '*.eml' | wc -l; }

# --- (1) the peer: smtplib, one session -----------------------------------------------------------
start_smtp "$scratch/peer"
log "smtplib: $n messages"
peer=$(/usr/bin/python3 - "$smtp_port" "$tmp/smtp.pem" "$n" <<'PY'
import base64, smtplib, ssl, sys, time
port, ca, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
body = base64.encodebytes(("This is a test message from carehub: mail from this server reaches "
                           "this address.\r\n").encode()).decode().replace("\n", "\r\n")
message = ("From: carehub <no-reply@clinic.example>\r\nTo: bench@clinic.example\r\n"
           "Subject: carehub test message\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + body)
t0 = time.perf_counter()
with smtplib.SMTP("localhost", port) as s:
    s.starttls(context=ssl.create_default_context(cafile=ca))
    for _ in range(n):
        s.sendmail("no-reply@clinic.example", ["bench@clinic.example"], message)
print(f"{time.perf_counter() - t0:.3f}")
PY
)
peer_files=$(count_eml "$scratch/peer")
stop_smtp
[[ $peer_files == "$n" ]] || die "the SMTP server wrote $peer_files files for smtplib, not $n"
log "smtplib: $peer s"

# --- (2) carehub ----------------------------------------------------------------------------------
start_smtp "$scratch/carehub"
port=$(free_port)
cat >"$tmp/carehub.json" <<JSON
{
  "server": {"host": "127.0.0.1", "port": $port},
  "database": {"url": "sqlite://$tmp/carehub.db"},
  "blob": {"path": "$tmp/blobs"},
  "auth": {"keys_dir": "$tmp/keys"},
  "jobs": {"concurrency": $concurrency, "poll_interval_ms": 50},
  "mail": {"provider": "smtp", "smtp_url": "smtp://localhost:$smtp_port", "ca_file": "$tmp/smtp.pem",
           "from": "carehub <no-reply@clinic.example>"}
}
JSON
migrate_carehub "$bin" "$tmp/carehub.json"
log "carehub: queueing $n messages"
"$bin" --config "$tmp/carehub.json" mail-test --to bench@clinic.example --count "$n" \
  >"$tmp/mail-test.log" 2>&1 || { cat "$tmp/mail-test.log" >&2; die "carehub mail-test failed"; }
sync
log "carehub: serve until the SMTP server has $n messages"
t0=$(date +%s.%N)
"$bin" --config "$tmp/carehub.json" serve 2>"$tmp/carehub.log" &
carehub_pid=$!
track_pid "$carehub_pid"
first=""
while :; do
  got=$(count_eml "$scratch/carehub")
  [[ -z $first && $got -gt 0 ]] && first=$(date +%s.%N)
  [[ $got -ge $n ]] && break
  carehub_alive_or_die
  sleep 0.05
done
t1=$(date +%s.%N)
rss=$(hwm_kb "$carehub_pid")
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$carehub_pid/stat")
smtp_cpu=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$smtp_pid/stat")
sleep 0.5  # the last rows' state written
states=$(python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(" ".join(f"{s}={k}" for s,k in c.execute("SELECT state, count(*) FROM mail_outbox GROUP BY state")))' "$tmp/carehub.db")
stop_carehub_and_report >"$tmp/stop.txt"
stop_smtp

python3 - "$n" "$peer" "$t0" "$first" "$t1" "$rss" "$states" "$concurrency" "$cpu" "$smtp_cpu" <<'PY'
import sys
n, peer, t0, first, t1, rss, states, conc, cpu, smtp_cpu = sys.argv[1:]
n, peer, t0, first, t1 = int(n), float(peer), float(t0), float(first), float(t1)
carehub = t1 - t0
print(f"Mail outbox: {n} messages to a local SMTP server (python3-aiosmtpd, STARTTLS, files on tmpfs)")
print(f"{'sender':42} {'seconds':>8} {'msgs/s':>8}")
print(f"{'Python smtplib, one session (peer)':42} {peer:>8.2f} {n / peer:>8.0f}")
print(f"{'carehub outbox, serve start to last message':42} {carehub:>8.2f} {n / carehub:>8.0f}")
print(f"{'carehub, first to last message':42} {t1 - first:>8.2f} {n / (t1 - first):>8.0f}")
print(f"carehub/peer: {peer / carehub:.2f}x (jobs.concurrency {conc}, SQLite); "
      f"peak RSS {int(rss) / 1024:.0f} MB; outbox: {states}")
print(f"CPU seconds during carehub's run: carehub {float(cpu):.2f}, the SMTP server {float(smtp_cpu):.2f}")
if states != f"sent={n}":
    sys.exit(f"INVALID: the outbox is {states}, not sent={n}")
PY
cat "$tmp/stop.txt"
