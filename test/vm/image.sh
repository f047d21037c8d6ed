#!/usr/bin/env bash
# Builds the test VM's boot files under $VM_CACHE (make image):
#
#   vmlinux          the Debian kernel, uncompressed, for a fast PVH boot
#   initrd.img       the initramfs: our init, gcs, gcsctl, fragsign, runc, busybox,
#                    kernel modules and the in-guest test binaries
#   bin/vmrun        the host-side runner (make vm-test, make vm-shell)
#
# Every step is cached: the kernel on its package name and version, the Go
# binaries on a hash of the Go sources (and the Go version), the initramfs
# on a hash of everything that goes into it. A step whose key did not
# change is skipped. Nothing is installed on this machine: the kernel .deb
# is downloaded and unpacked into the cache.
#
# Settings (environment; vm.mk passes them):
#   VM_CACHE       cache directory (required, absolute)
#   VM_MODULES     kernel modules to load at boot, in order; NAME? = optional
#   VM_PKG_TESTS   package patterns whose test binaries run in the guest
#   VM_KERNEL_PKG  kernel package to use (default: what linux-image-amd64
#                  depends on)
#   VM_CRUN        1 to put crun into the image as well (default 1)
#   VM_COMPRESS    none (default; fastest boot under TCG) or gzip
#   VM_UNSIGN      1 (default) to strip the modules' signatures, which the
#                  kernel would otherwise check (slowly, under TCG)
#   GO             the go command (default go)
set -euo pipefail

: "${VM_CACHE:?VM_CACHE must be set}"
VM_MODULES=${VM_MODULES:-vsock vsock_loopback}
VM_PKG_TESTS=${VM_PKG_TESTS:-}
VM_CRUN=${VM_CRUN:-1}
VM_COMPRESS=${VM_COMPRESS:-none}
VM_UNSIGN=${VM_UNSIGN:-1}
GO=${GO:-go}

here=$(cd "$(dirname "$0")" && pwd)
mod=$(cd "$here/../.." && pwd) # the Go module's root
mkdir -p "$VM_CACHE"
cache=$(cd "$VM_CACHE" && pwd)

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
say() { echo "image: $*"; }
die() {
	echo "image: error: $*" >&2
	exit 1
}
need() {
	command -v "$1" >/dev/null 2>&1 || die "$1 not found (${2:-run make vm-deps})"
}
sha() { sha256sum | cut -c1-16; }

t_all=$(now)
for c in apt-get apt-cache dpkg-deb depmod modprobe cpio xz sha256sum ldd; do need "$c"; done
need "$GO" "Go must be installed, e.g. /usr/local/go/bin/go"

# --- 1. kernel ---------------------------------------------------------------
# The package and version come from apt's lists (make vm-deps refreshes
# them). Without lists, the most recent kernel already in the cache is used.
t=$(now)
kpkg=${VM_KERNEL_PKG:-}
if [[ -z $kpkg ]]; then
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }') || true
fi
kver_pkg=""
if [[ -n $kpkg ]]; then
	kver_pkg=$(apt-cache show --no-all-versions "$kpkg" 2>/dev/null | awk '/^Version:/ { print $2; exit }') || true
fi
if [[ -z $kpkg || -z $kver_pkg ]]; then
	last=$(ls -1dt "$cache"/kernel/*/.done 2>/dev/null | head -1) || true
	[[ -n $last ]] || die "cannot find the kernel package (apt lists missing?): run make vm-deps"
	kdir=$(dirname "$last")
	kpkg=$(cat "$kdir/package")
	kver_pkg=$(cat "$kdir/version")
	say "apt does not know the kernel package; using the cached $kpkg $kver_pkg"
fi
kver=${kpkg#linux-image-} # the kernel release, e.g. 6.1.0-56-amd64
kkey="${kpkg}_${kver_pkg}"
kdir=$cache/kernel/$kkey
if [[ ! -e $kdir/.done ]]; then
	say "downloading $kpkg $kver_pkg"
	rm -rf "$kdir"
	mkdir -p "$kdir/dl"
	(cd "$kdir/dl" && apt-get download -qq -o APT::Sandbox::User=root "$kpkg=$kver_pkg")
	dpkg-deb -x "$kdir"/dl/*.deb "$kdir/root"
	rm -rf "$kdir/dl"
	# The .deb ships no modules.dep; build one for modprobe --show-depends.
	depmod -b "$kdir/root" "$kver"
	# Uncompressed vmlinux for a PVH boot, taken out of the bzImage the way
	# the kernel's extract-vmlinux does it, but using the boot header rather
	# than searching for magic numbers: the payload starts payload_offset
	# bytes after the real-mode setup ((setup_sects+1) * 512), is
	# payload_length bytes long, and ends with the uncompressed size (4
	# bytes, little-endian), which xz, lzma and zstd payloads carry in
	# addition to the compressed stream.
	bz=$kdir/root/boot/vmlinuz-$kver
	u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
	u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
	setup_sects=$(u8 "$bz" $((0x1f1)))
	poff=$(u32 "$bz" $((0x248)))
	plen=$(u32 "$bz" $((0x24c)))
	start=$(((setup_sects + 1) * 512 + poff))
	size=$(u32 "$bz" $((start + plen - 4)))
	magic=$(od -An -tx1 -j "$start" -N4 "$bz" | tr -d ' \n')
	payload() { dd if="$bz" iflag=skip_bytes,count_bytes skip="$start" count="$1" status=none; }
	case $magic in
	fd377a58) payload $((plen - 4)) | xz -dc >"$kdir/vmlinux" ;;
	28b52ffd) payload $((plen - 4)) | zstd -dcq >"$kdir/vmlinux" ;;
	1f8b*) payload "$plen" | gzip -dc >"$kdir/vmlinux" ;;
	*) die "unknown kernel payload compression (magic $magic) in $bz" ;;
	esac
	got=$(stat -c %s "$kdir/vmlinux")
	[[ $got == "$size" ]] || die "vmlinux is $got bytes, the bzImage says $size"
	[[ $(head -c4 "$kdir/vmlinux" | od -An -tx1 | tr -d ' \n') == 7f454c46 ]] || die "vmlinux is not an ELF file"
	echo "$kpkg" >"$kdir/package"
	echo "$kver_pkg" >"$kdir/version"
	touch "$kdir/.done"
	# Keep one kernel: remove older ones.
	for d in "$cache"/kernel/*; do [[ $d == "$kdir" ]] || rm -rf "$d"; done
	say "kernel $kpkg $kver_pkg ready ($(since "$t"))"
else
	say "kernel $kpkg $kver_pkg (cached)"
fi
ln -sfn "kernel/$kkey/vmlinux" "$cache/vmlinux"
kroot=$kdir/root

# --- 2. modules ---------------------------------------------------------------
# modprobe lists each module's dependencies first; the union, in order and
# without repeats, is what the init loads.
mods=()
declare -A seen=()
for m in $VM_MODULES; do
	optional=0
	if [[ $m == *'?' ]]; then
		optional=1
		m=${m%'?'}
	fi
	if ! out=$(modprobe -d "$kroot" -S "$kver" --show-depends "$m" 2>&1); then
		((optional)) && continue
		die "module $m: $out"
	fi
	while read -r verb path _; do
		[[ $verb == insmod && -z ${seen[$path]:-} ]] || continue
		seen[$path]=1
		mods+=("${path#"$kroot"}")
	done <<<"$out"
done
modkey=$(printf '%s\n' "${mods[@]}" | sha)

# --- 3. Go binaries -------------------------------------------------------------
t=$(now)
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
gover=$("$GO" env GOVERSION)
srchash=$(
	cd "$mod"
	{
		echo "$gover $VM_PKG_TESTS"
		sha256sum <"$here/image.sh" # the build commands
		find . \( -path ./.git -o -path ./test/vm/.cache -o -path ./bin -o -path ./out \) -prune -o \
			-type f \( -name '*.go' -o -name go.mod -o -name go.sum -o -path '*/testdata/*' \) -print0 |
			LC_ALL=C sort -z | xargs -0 sha256sum
	} | sha
)
gdir=$cache/go/$srchash
if [[ ! -e $gdir/.done ]]; then
	rm -rf "$gdir"
	mkdir -p "$gdir/pkg"
	(
		cd "$mod"
		# -s -w: no symbol table or DWARF (stack traces keep their names);
		# smaller binaries make a smaller initramfs and a faster boot.
		"$GO" build -trimpath -ldflags=-s\ -w -o "$gdir/" ./cmd/gcs ./cmd/gcsctl ./test/vm/init ./test/vm/vmrun ./test/vm/fragsign
		"$GO" test -c -trimpath -ldflags=-s\ -w -o "$gdir/guest.test" ./test/vm/guest
		# Test binaries of the packages that need the VM's kernel; patterns
		# that match nothing (yet) are skipped.
		for pat in $VM_PKG_TESTS; do
			pkgs=$("$GO" list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}} {{.Dir}}{{end}}' "$pat" 2>/dev/null) || {
				say "no packages match $pat; skipped"
				continue
			}
			while read -r ip dir; do
				[[ -n $ip ]] || continue
				name=${ip#github.com/linux-gcs/gcs/}
				name=${name//\//_}
				"$GO" test -c -trimpath -ldflags=-s\ -w -o "$gdir/pkg/$name.test" "$ip"
				if [[ -d $dir/testdata ]]; then
					mkdir -p "$gdir/pkg/$name"
					cp -a "$dir/testdata" "$gdir/pkg/$name/"
				fi
			done <<<"$pkgs"
		done
	)
	touch "$gdir/.done"
	for d in "$cache"/go/*; do [[ $d == "$gdir" ]] || rm -rf "$d"; done
	say "Go binaries built ($(since "$t"))"
else
	say "Go binaries (cached)"
fi
mkdir -p "$cache/bin"
ln -sfn "../go/$srchash/vmrun" "$cache/bin/vmrun"

# --- 4. host binaries for the guest ----------------------------------------------
# Copied with the shared libraries ldd names. Required: busybox (static),
# runc. Optional: crun, mkfs.ext4, mkfs.xfs, dmsetup, veritysetup,
# cryptsetup (encrypted scratch disks).
busybox=""
for b in /bin/busybox /usr/bin/busybox; do
	if [[ -x $b ]] && ! ldd "$b" >/dev/null 2>&1; then
		busybox=$b
		break
	fi
done
[[ -n $busybox ]] || die "no static busybox (install busybox-static: make vm-deps)"
runc=$(command -v runc) || die "runc not found (make vm-deps)"
hostbins=("$runc")
((VM_CRUN)) && command -v crun >/dev/null && hostbins+=("$(command -v crun)")
for b in mkfs.ext4 mkfs.xfs dmsetup veritysetup cryptsetup; do
	p=$(PATH=/usr/sbin:/sbin:$PATH command -v "$b") && hostbins+=("$p") || say "$b not found; not in the image"
done
hostfiles=("$busybox" "${hostbins[@]}")
for b in "${hostbins[@]}"; do
	while read -r lib; do hostfiles+=("$lib"); done < <(ldd "$b" | grep -o '/[^ ]*')
done
[[ -e /etc/mke2fs.conf ]] && hostfiles+=(/etc/mke2fs.conf)
hostkey=$(for f in "${hostfiles[@]}"; do echo "$f $(sha256sum <"$f")"; done | sha)

# --- 5. the initramfs --------------------------------------------------------------
t=$(now)
ikey=$({
	echo "$kkey $modkey $srchash $hostkey $VM_COMPRESS $VM_UNSIGN"
	sha256sum "$0"
} | sha)
if [[ -e $cache/initrd.img && $(cat "$cache/initrd.key" 2>/dev/null) == "$ikey" ]]; then
	say "initramfs (cached)"
	say "done in $(since "$t_all")"
	exit 0
fi
st=$cache/stage
rm -rf "$st"
mkdir -p "$st"/usr/{bin,sbin,lib,lib64} "$st"/{proc,sys,dev,run,tmp,root,mnt,etc/vm,var/log,tests/pkg}
ln -s usr/bin "$st/bin"
ln -s usr/sbin "$st/sbin"
ln -s usr/lib "$st/lib"
ln -s usr/lib64 "$st/lib64"
chmod 1777 "$st/tmp"
chmod 700 "$st/root"

# put copies host file $1 into the stage at the same path, following
# symlinks in the directory part and in the name itself.
put() {
	local d
	d=$(realpath "$(dirname "$1")")
	mkdir -p "$st$d"
	cp -L --remove-destination "$1" "$st$d/$(basename "$1")"
}
cp "$busybox" "$st/usr/bin/busybox"
# An applet link for everything busybox offers; real binaries copied below
# replace links of the same name.
"$busybox" --list-full | while read -r a; do
	[[ $a == */busybox || $a != */* ]] && continue
	a=${a#usr/}
	ln -sf /usr/bin/busybox "$st/usr/$a"
done
for f in "${hostfiles[@]}"; do put "$f"; done

cp "$gdir/init" "$st/init"
cp "$gdir/gcs" "$gdir/gcsctl" "$gdir/fragsign" "$st/usr/bin/"
cp "$gdir/guest.test" "$st/tests/"
cp -a "$gdir/pkg/." "$st/tests/pkg/"

# unsign drops a module's appended signature (the kernel does not enforce
# signatures): checking them costs seconds of boot time under TCG.
unsign() {
	local f=$1 size b
	[[ $(tail -c 28 "$f") == '~Module signature appended~' ]] || return 0
	size=$(stat -c %s "$f")
	# struct module_signature (12 bytes, ending in the big-endian length
	# of the signature) precedes the 28-byte marker.
	read -r -a b < <(od -An -tu1 -j $((size - 32)) -N4 "$f")
	truncate -s $((size - 40 - ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]))) "$f"
}
for m in "${mods[@]}"; do
	mkdir -p "$st$(dirname "$m")"
	cp "$kroot$m" "$st$m"
	((VM_UNSIGN)) && unsign "$st$m"
	echo "$m" >>"$st/etc/vm/modules.list"
done
touch "$st/etc/vm/modules.list"
for f in modules.order modules.builtin modules.builtin.modinfo; do
	cp "$kroot/lib/modules/$kver/$f" "$st/lib/modules/$kver/" 2>/dev/null || true
done
depmod -b "$st" "$kver" # modprobe works in the guest shell for what is there

cat >"$st/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
cat >"$st/etc/group" <<'EOF'
root:x:0:
tty:x:5:
EOF
echo gcs-vm >"$st/etc/hostname"
cat >"$st/etc/profile" <<'EOF'
export PS1='gcs-vm:\w# '
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# gcsctl plays the host: the GCS dials it here (so gcsctl listens), and
# dials its relay ports.
export GCSCTL_ADDR=vsock://1:1073741824 GCSCTL_LISTEN=1 GCSCTL_RELAY=vsock://1 GCSCTL_ROOT=/run/gcs
# The GCS takes layers only from below its roots (-root, /run/mounts,
# /run/layers): the busybox image is shown at /run/layers/busybox.
if ! grep -q ' /run/layers/busybox ' /proc/mounts; then
	mkdir -p /run/layers/busybox && mount -o bind /images/busybox /run/layers/busybox
fi
EOF
# A container image for gcsctl run in the shell: busybox and its applets.
img=$st/images/busybox
mkdir -p "$img"/{bin,etc,proc,sys,dev,tmp,root}
cp "$busybox" "$img/bin/busybox"
for a in $("$busybox" --list); do [[ $a == busybox ]] || ln -s busybox "$img/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$img/etc/passwd"
echo 'root:x:0:' >"$img/etc/group"
{
	echo "kernel: $kpkg $kver_pkg"
	echo "go: $gover, sources $srchash"
	echo "modules: ${#mods[@]}"
	echo "host binaries: ${hostbins[*]}"
	echo "package tests: $(cd "$st/tests/pkg" && ls -1 ./*.test 2>/dev/null | tr '\n' ' ')"
} >"$st/etc/vm/image-info"

# Reproducible archive: fixed order, owner and timestamps.
find "$st" -exec touch -h -d @0 {} +
tmp=$cache/initrd.img.tmp
(cd "$st" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) >"$tmp.cpio"
case $VM_COMPRESS in
none) mv "$tmp.cpio" "$tmp" ;;
gzip) gzip -1 -n <"$tmp.cpio" >"$tmp" && rm -f "$tmp.cpio" ;;
*) die "VM_COMPRESS=$VM_COMPRESS: want none or gzip" ;;
esac
mv "$tmp" "$cache/initrd.img"
echo "$ikey" >"$cache/initrd.key"
cp "$st/etc/vm/image-info" "$cache/image-info"
rm -rf "$st"
say "initramfs $(du -h "$cache/initrd.img" | cut -f1) built ($(since "$t"))"
say "done in $(since "$t_all")"
