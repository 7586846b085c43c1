# Sourced by the extract benchmarks: run NAME CMD... runs CMD $reps times
# (stdout dropped, stderr appended to $work/stderr) and prints
# "NAME median-wall-s max-RSS-KB median-CPU-s", timed by $RUSAGE_BIN (bench/rusage.c,
# for machines without GNU time) or /usr/bin/time.
run() {
  local name=$1; shift
  local walls=() rss=0 cpus=()
  for _ in $(seq "$reps"); do
    if [ -n "${RUSAGE_BIN:-}" ]; then
      "$RUSAGE_BIN" "$work/t" "$@" > /dev/null 2>> "$work/stderr"
    else
      /usr/bin/time -f '%e %M %U %S' -o "$work/t" "$@" > /dev/null 2>> "$work/stderr"
    fi
    read -r w m u s < "$work/t"
    walls+=("$w"); cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')")
    [ "$m" -gt "$rss" ] && rss=$m
  done
  local wall cpu
  wall=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (reps + 1) / 2 ))p")
  cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "$(( (reps + 1) / 2 ))p")
  echo "$name $wall $rss $cpu"
}
