#!/bin/bash
# The kernel's share of a produce on this machine, which no broker avoids (bench/README.md,
# "Apache Kafka as the reference"): CPU seconds per GiB of
#   - filling page-cache pages: `dd` of 1 GiB in 64 KiB writes into a new file, from a settled
#     cache (sync + drop_caches when root), as every replica does for every byte;
#   - loopback TCP: 1 GiB through 127.0.0.1 in 64 KiB sends/receives, receiver and sender apart,
#     as the client → leader and leader → follower traffic;
#   - the pool of cheap pages: 1 GiB files written one after another (sync after each) up to
#     $FILES GiB; on a VM with free page reporting the first GiBs reuse recently freed pages and
#     later ones pay the host's fault.
# Usage: bench/kernel-floor.sh [REPEATS] (default 3); FILES=N (default 8), DIR=path (default
# .bench-out/kernel-floor in the checkout). Writes up to FILES GiB; removes its files at the end.
set -euo pipefail
REPEATS=${1:-3}
FILES=${FILES:-8}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${DIR:-$ROOT/.bench-out/kernel-floor}
mkdir -p "$DIR"
trap 'rm -f "$DIR"/f*' EXIT
settle() { rm -f "$DIR"/f*; sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
sys_of() { /usr/bin/time -f '%S %U %e' "$@" 2>&1 >/dev/null | tail -1; }
echo "load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs, MemFree $(awk '/MemFree/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
for r in $(seq 1 "$REPEATS"); do
  settle
  read -r s u e <<< "$(sys_of dd if=/dev/zero of="$DIR/f1" bs=64k count=16384 status=none)"
  printf 'page-cache fill, run %d: %.2f CPU-s per GiB (system %.2f), %.2f s\n' "$r" "$(echo "$s + $u" | bc)" "$s" "$e"
done
for r in $(seq 1 "$REPEATS"); do
  /usr/bin/python3 - <<'PY'
import os, resource, socket, time
N = 1 << 30
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)
pid = os.fork()
if pid == 0:
    c = socket.create_connection(srv.getsockname()); buf = b'\0' * 65536; sent = 0
    while sent < N: sent += c.send(buf)
    c.close(); os._exit(0)
conn, _ = srv.accept(); buf = bytearray(65536); got = 0
r0 = resource.getrusage(resource.RUSAGE_SELF); t0 = time.time()
while (n := conn.recv_into(buf)) > 0: got += n
os.waitpid(pid, 0); t1 = time.time()
r1 = resource.getrusage(resource.RUSAGE_SELF); rc = resource.getrusage(resource.RUSAGE_CHILDREN)
recv = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime); send = rc.ru_utime + rc.ru_stime
gib = got / (1 << 30)
print(f"loopback TCP: receiver {recv / gib:.2f} + sender {send / gib:.2f} = {(recv + send) / gib:.2f} CPU-s per GiB, {t1 - t0:.2f} s")
PY
done
settle
line=""
for i in $(seq 1 "$FILES"); do
  read -r s u e <<< "$(sys_of dd if=/dev/zero of="$DIR/f$i" bs=64k count=16384 status=none)"
  sync
  line="$line $s"
done
echo "page-cache fill, GiB 1..$FILES in a row (system s each):$line"
