#!/usr/bin/env bash
# Installs the Debian packages clawops' tests and local sandbox start for real (sshd hosts, nginx,
# Redis). Does nothing when they are already there; needs root (or sudo) otherwise.
# --tests adds the engines only the tests start (podman + Compose, a booted systemd): `npm start`
# must not put systemd or podman on a machine that only wants the bot.
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
[ -x /usr/sbin/nginx ] || need+=(nginx)
command -v ip >/dev/null || need+=(iproute2)
command -v curl >/dev/null || need+=(curl)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v unshare >/dev/null || need+=(util-linux)
if [ "${1:-}" = "--tests" ]; then
  # docker-compose strategy against a real engine (test/harness/compose.ts): rootful podman with
  # runc (crun fails on hybrid cgroups), CNI for published ports, Compose v1, busybox for the images.
  command -v podman >/dev/null || need+=(podman)
  command -v runc >/dev/null || need+=(runc)
  [ -x /usr/lib/cni/portmap ] || need+=(containernetworking-plugins)
  command -v docker-compose >/dev/null || need+=(docker-compose)
  command -v docker-registry >/dev/null || need+=(docker-registry)
  dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
  # systemd strategy against a booted systemd (test/harness/systemd-host.ts): systemd as PID 1 of a
  # test host's namespaces, nsenter to reach it, sudo for `strategy.sudo` (systemctl via sudo -n).
  [ -x /lib/systemd/systemd ] || need+=(systemd)
  command -v nsenter >/dev/null || need+=(util-linux)
  command -v sudo >/dev/null || need+=(sudo)
fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${need[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
