#!/usr/bin/env bash
# Builds the optional Drogon peer (drogon_peer.cpp) inside a Debian 13 chroot, where Drogon is packaged
# (libdrogon-dev); run.sh then starts it there when DROGON_ROOT=ROOT is set.
#   bench/http/drogon_chroot.sh ROOT     ROOT: a trixie system (tools/debian13 ROOT or debootstrap makes one)
# Needs root. Leaves ROOT/opt/sb-bench/drogon_peer.
set -euo pipefail
root=${1:?usage: drogon_chroot.sh ROOT}
here=$(cd "$(dirname "$0")" && pwd)
[[ -x $root/usr/bin/apt-get ]] || { echo "drogon_chroot.sh: no system in $root (tools/debian13 $root makes one)"; exit 1; }
mounted=()
cleanup() { for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done; }
trap cleanup EXIT
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
mount --bind /dev "$root/dev" && mounted+=("$root/dev")
mount --bind /dev/pts "$root/dev/pts" && mounted+=("$root/dev/pts")
cp /etc/resolv.conf "$root/etc/resolv.conf"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  DEBIAN_FRONTEND=noninteractive bash -c "$1"; }
in_root "apt-get update -qq && apt-get install -y -qq --no-install-recommends g++ libdrogon-dev libjsoncpp-dev libtrantor-dev >/dev/null"
mkdir -p "$root/opt/sb-bench"
cp "$here/drogon_peer.cpp" "$root/opt/sb-bench/"
in_root 'dpkg-query -W -f="\${Package} \${Version}\n" libdrogon-dev &&
  g++ -std=c++20 -O2 -DNDEBUG -I/usr/include/jsoncpp -o /opt/sb-bench/drogon_peer /opt/sb-bench/drogon_peer.cpp \
    -ldrogon -ltrantor -ljsoncpp -lpthread'
echo "drogon_chroot.sh: built $root/opt/sb-bench/drogon_peer"
