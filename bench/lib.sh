# What the side-by-side benchmark scripts (worker-vs-node.sh, cluster-vs-node.sh) share: process
# bookkeeping beside tests/lib.sh's exit cleanup (_pids), and the arithmetic of their tables.
# Sourced after tests/lib.sh.

# forget PID: drop a stopped process from the exit cleanup's list (its pid may be reused).
forget() {
  local keep=() p
  for p in "${_pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  _pids=("${keep[@]}")
}
# tree_pids PID: the process and its descendants (a master and the workers it forked).
tree_pids() {
  local p=$1 c
  echo "$p"
  for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree_pids "$c"; done
}
# kv LINE KEY: the value of KEY=value in a line of sc_load's key=value output.
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
# The median of the numbers on stdin, one per line (0 when there are none).
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print 0; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# calc FORMAT EXPR: awk's printf of an arithmetic expression.
calc() { awk "BEGIN {printf \"$1\", $2}"; }
# order ROUND KIND...: the kinds rotated by the round number, one per line.
order() {
  local r=$1; shift
  local k=("$@") n=$# i
  for ((i = 0; i < n; i++)); do echo "${k[$(((i + r) % n))]}"; done
}
# ratio A B: A/B with two decimals, or "-" when either is missing or zero.
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN {printf (b > 0 && a > 0 ? "%.2f" : "-"), (b > 0 ? a / b : 0)}'; }
