# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Debian package helpers for kvmod's setup scripts. Source it from bash;
# the caller defines log() (one line of progress, prefixed with its name).
#
#   apt_update_once        apt-get update, at most once per script run
#   apt_install PKG...     install those of PKG... that are not installed

export DEBIAN_FRONTEND=noninteractive

APT_SUDO=
[ "$(id -u)" -eq 0 ] || APT_SUDO=sudo

apt_updated=0
apt_update_once() {
	if [ "$apt_updated" -eq 0 ]; then
		$APT_SUDO apt-get update -qq
		apt_updated=1
	fi
}

apt_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	apt_update_once
	log "installing ${missing[*]}"
	$APT_SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
