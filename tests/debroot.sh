# SPDX-License-Identifier: ISC
# debroot.sh - fresh Debian 12 roots for check-fresh, deb and check-systemd.
# Sourced by bash scripts run as root. One minimal debootstrap of bookworm
# is kept as a tarball under the build directory and unpacked anew for each
# root; packages come from the mirror this machine's apt already uses (or
# $SOCKWATCH_DEBIAN_MIRROR), never from a host named here.

debroot_build=${DEBROOT_BUILD:-build}
debroot_tar=$debroot_build/debian-12-minbase.tar.gz
debroot_dirs=()

debroot_log() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

debroot_die() {
	debroot_log "$*"
	exit 1
}

# The first Debian mirror of this machine's apt sources (deb822 or one-line).
debroot_mirror() {
	local uri
	if [ -n "${SOCKWATCH_DEBIAN_MIRROR:-}" ]; then
		echo "$SOCKWATCH_DEBIAN_MIRROR"
		return
	fi
	uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' |
		grep -v -- '-security' | head -n 1)
	if [ -z "$uri" ]; then
		uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			2>/dev/null | awk '$1 == "deb" && $2 !~ /^\[/ { print $2 }' |
			grep -v -- '-security' | head -n 1)
	fi
	[ -n "$uri" ] || debroot_die "no Debian mirror in /etc/apt; set SOCKWATCH_DEBIAN_MIRROR"
	echo "$uri"
}

# What the Debian installer writes and debootstrap does not.
debroot_etc() {
	local root=$1
	echo sockwatch-fresh > "$root/etc/hostname"
	cat > "$root/etc/hosts" <<-'HOSTS'
	127.0.0.1	localhost
	127.0.1.1	sockwatch-fresh

	# The following lines are desirable for IPv6 capable hosts
	::1     localhost ip6-localhost ip6-loopback
	ff02::1 ip6-allnodes
	ff02::2 ip6-allrouters
	HOSTS
}

# The cached minimal bookworm, made with debootstrap when it is missing.
debroot_base() {
	local tmp start
	[ -s "$debroot_tar" ] && return
	command -v debootstrap > /dev/null ||
		debroot_die "debootstrap is missing: apt-get install debootstrap"
	mkdir -p "$debroot_build"
	tmp=$(mktemp -d "$debroot_build/debootstrap.XXXXXX")
	start=$SECONDS
	debroot_log "debootstrap --variant=minbase bookworm from $(debroot_mirror)"
	if ! debootstrap --variant=minbase bookworm "$tmp/root" "$(debroot_mirror)" \
		> "$tmp/log" 2>&1; then
		tail -n 20 "$tmp/log" >&2
		rm -rf --one-file-system "$tmp"
		debroot_die "debootstrap failed"
	fi
	debroot_etc "$tmp/root"
	tar -C "$tmp/root" -czf "$debroot_tar.part" .
	mv "$debroot_tar.part" "$debroot_tar"
	rm -rf --one-file-system "$tmp"
	debroot_log "base cached in $debroot_tar ($((SECONDS - start)) s)"
}

# A private /dev with the usual nodes, not the host's.
debroot_dev() {
	local dev=$1/dev
	mount -t tmpfs -o mode=755,nosuid dev "$dev"
	mknod -m 666 "$dev/null" c 1 3
	mknod -m 666 "$dev/zero" c 1 5
	mknod -m 666 "$dev/full" c 1 7
	mknod -m 666 "$dev/random" c 1 8
	mknod -m 666 "$dev/urandom" c 1 9
	mknod -m 666 "$dev/tty" c 5 0
	mkdir -m 755 "$dev/pts" "$dev/shm"
	chmod 1777 "$dev/shm"
	mount -t devpts -o newinstance,ptmxmode=666 devpts "$dev/pts"
	ln -s pts/ptmx "$dev/ptmx"
	ln -s /proc/self/fd "$dev/fd"
}

# A new root at dir from the cached base; with "mount", proc, dev and run
# mounted for chroot. Everything is undone by debroot_cleanup.
debroot_new() {
	local dir=$1 how=${2:-}
	debroot_base
	debroot_dirs+=("$dir")
	mkdir -p "$dir"
	tar -C "$dir" -xzf "$debroot_tar"
	cp /etc/resolv.conf "$dir/etc/resolv.conf" 2> /dev/null || true
	if [ "$how" = mount ]; then
		# A root that is a mount point, as on a machine: unshare -m
		# makes "/" private and fails where it is none.
		mount --bind "$dir" "$dir"
		mount -t proc proc "$dir/proc"
		debroot_dev "$dir"
		mount -t tmpfs -o mode=755,nosuid run "$dir/run"
	fi
}

# Runs a shell command line in the root as root, with a clean environment.
debroot_run() {
	local dir=$1
	shift
	chroot "$dir" /usr/bin/env -i HOME=/root TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive /bin/bash -c "$*" < /dev/null
}

# The mount points at or under dir, deepest first.
debroot_mounts() {
	local real
	real=$(realpath "$1")
	awk -v d="$real" '$5 == d || index($5, d "/") == 1 { print $5 }' \
		/proc/self/mountinfo | sort -r
}

# Unmounts what debroot_new mounted in dir, leaving its files.
debroot_umount() {
	local m
	for m in $(debroot_mounts "$1"); do
		umount "$m" 2> /dev/null || umount -l "$m"
	done
	[ -z "$(debroot_mounts "$1")" ] || debroot_die "$1 is still mounted"
}

# Unmounts and removes every root made; never removes across a mount.
debroot_cleanup() {
	local d m
	for d in "${debroot_dirs[@]}"; do
		[ -d "$d" ] || continue
		for m in $(debroot_mounts "$d"); do
			umount "$m" 2> /dev/null || umount -l "$m"
		done
		if [ -n "$(debroot_mounts "$d")" ]; then
			debroot_log "$d is still mounted; not removing it"
			continue
		fi
		rm -rf --one-file-system "$d"
	done
}

# The Quick start commands of README.md, one a line, as written there.
debroot_quickstart() {
	awk '/^## Quick start/ { q = 1; next }
	     q && /^## / { exit }
	     q && /^```/ { if (b) exit; b = 1; next }
	     q && b && NF { print }' "${1:-README.md}"
}
