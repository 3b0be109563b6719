#!/bin/bash
# A real one-node Slurm on this machine, for the sweep test (issue 21) and for trying `npm run sweep -- --slurm`.
#   scripts/slurm-local.sh start   writes DIR/slurm.conf for this machine (slurmd -C: its CPUs and memory),
#                                  starts munged (unless one answers), slurmctld and slurmd on localhost, waits
#                                  until the node is idle; prints `export SLURM_CONF=DIR/slurm.conf`
#   scripts/slurm-local.sh stop    stops what start started (by the pids it recorded)
# DIR is $ROBUSTLAB_SLURM_DIR, default /tmp/robustlab-slurm. Needs Debian's slurm-wlm and munge, run as root.
# Measured here (Slurm 22.05, Debian 12, a container without systemd): an sbatch array ran as root with
# proctrack/linuxproc, task/none, no cgroup.conf, ReturnToService=2; cgroup plugins need a cgroup mount we
# cannot count on in CI. Exit status: 0 ok; 1 could not start (the reason and the daemons' last log lines).
set -u
DIR=${ROBUSTLAB_SLURM_DIR:-/tmp/robustlab-slurm}
CONF=$DIR/slurm.conf
PORT=${ROBUSTLAB_SLURM_PORT:-16817}

fail() {
  echo "slurm-local: $*" >&2
  for f in "$DIR/slurmctld.log" "$DIR/slurmd.log"; do
    [ -s "$f" ] && { echo "--- last lines of $f" >&2; tail -n 8 "$f" >&2; }
  done
  exit 1
}

stop() {
  for d in slurmd slurmctld munged; do
    f=$DIR/$d.pid
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    # Only a pid we recorded, and only while it is still that daemon.
    if [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$d" ]; then
      kill "$pid"
      for _ in $(seq 50); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
    fi
    rm -f "$f"
  done
  echo "slurm-local: stopped"
}

start() {
  for b in slurmctld slurmd munged sbatch sinfo; do
    command -v "$b" >/dev/null || fail "$b not found: apt-get install -y slurm-wlm munge"
  done
  [ "$(id -u)" = 0 ] || fail "must run as root (this one-node set-up runs the daemons and jobs as root)"
  stop >/dev/null
  mkdir -p "$DIR/state" "$DIR/spool"
  host=$(hostname -s)
  node=$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$host NodeAddr=127.0.0.1/") || fail "slurmd -C failed"
  cat >"$CONF.tmp" <<EOF
# Written by scripts/slurm-local.sh: one node, this machine, everything as root.
ClusterName=robustlab
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmdTimeout=300
InactiveLimit=0
$node State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$CONF.tmp" "$CONF"
  export SLURM_CONF=$CONF
  if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    mkdir -p /run/munge && chown munge:munge /run/munge && chmod 0755 /run/munge
    runuser -u munge -- munged || fail "munged did not start (is /etc/munge/munge.key there?)"
    sleep 0.5
    cp /run/munge/munged.pid "$DIR/munged.pid" 2>/dev/null
    munge -n </dev/null | unmunge >/dev/null 2>&1 || fail "munge does not answer after starting munged"
  fi
  # -c: start from a clean state (no jobs of an earlier run).
  slurmctld -c -f "$CONF" || fail "slurmctld did not start"
  slurmd -f "$CONF" || fail "slurmd did not start"
  for _ in $(seq 60); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1)
    case "$state" in idle*) echo "slurm-local: node $host idle ($(echo "$node" | grep -o 'CPUs=[0-9]*'))"; echo "export SLURM_CONF=$CONF"; return 0 ;; esac
    sleep 1
  done
  fail "the node did not become idle within 60 s (sinfo says '${state:-nothing}')"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: scripts/slurm-local.sh start|stop" >&2; exit 2 ;;
esac
