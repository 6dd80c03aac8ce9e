#!/usr/bin/env bash
# Scaffolds an app on the scluster worker toolkit in DIR (outside the repo is fine):
#   create-app.sh [--prefix P] NAME DIR
# DIR gets main.cpp (a small working app: an invoke, a channel, a session), a Makefile that
# finds the installed toolkit with pkg-config, and public/index.html.  Then:
#   cd DIR && make && ./NAME --port 8000 --brokers 127.0.0.1:6380
# The Makefile looks for scluster.pc under P/lib/pkgconfig (--prefix, or the prefix this
# script is installed under when it runs from P/share/scluster/scripts/), else where
# pkg-config searches by default (/usr/local, /usr); `make SCLUSTER_PREFIX=...` overrides.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TEMPLATE=$HERE/app-template
prefix=
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { usage >&2; exit 2; }; prefix=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "create-app.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || { usage >&2; exit 2; }
name=$1 dir=$2
[[ "$name" =~ ^[A-Za-z][A-Za-z0-9_-]{0,63}$ ]] ||
  { echo "create-app.sh: NAME must be a letter then letters, digits, '_' or '-' (got '$name')" >&2; exit 2; }
[ -d "$TEMPLATE" ] || { echo "create-app.sh: no template at $TEMPLATE" >&2; exit 1; }
if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
  echo "create-app.sh: $dir exists and is not empty" >&2; exit 1
fi
# Installed as P/share/scluster/scripts/create-app.sh beside P/lib/pkgconfig/scluster.pc.
if [ -z "$prefix" ] && [ -f "$HERE/../../../lib/pkgconfig/scluster.pc" ]; then
  prefix=$(cd "$HERE/../../.." && pwd)
fi
case "$prefix" in ''|/*) ;; *) prefix=$(cd "$prefix" && pwd) ;; esac
[[ "$prefix" != *[\|\&\\]* ]] || { echo "create-app.sh: --prefix holds | & or \\" >&2; exit 2; }

mkdir -p "$dir/public"
fill() { sed -e "s|@NAME@|$name|g" -e "s|@PREFIX@|$prefix|g" "$TEMPLATE/$1" >"$dir/$1"; }
fill main.cpp
fill Makefile
fill public/index.html
echo "created $name in $dir: main.cpp, Makefile, public/index.html"
echo "  cd $dir && make && ./$name --port 8000 --brokers 127.0.0.1:6380"
[ -n "$prefix" ] && echo "  (the Makefile finds the toolkit under $prefix)"
exit 0
