#!/bin/sh
# Exits 0 when FILE is a statically linked ELF executable, 1 otherwise (with the reason).
#
#   scripts/check-static.sh target/x86_64-unknown-linux-gnu/dist/recif-secrets
#
# Reads the binary's own ELF header with od (coreutils, in every Debian image, the rust:*-slim
# build image included), so that the check cannot pass silently for want of a tool (`file` is
# absent from slim images): a dynamically linked executable has a PT_INTERP program header,
# naming the loader (/lib64/ld-linux-x86-64.so.2) that must exist at run time; a static one,
# static-pie included, has none. 64-bit little-endian ELF only (x86_64, aarch64).
set -eu
if [ "$#" -ne 1 ]; then
    echo "usage: check-static.sh FILE" >&2
    exit 2
fi
file="$1"
if [ ! -f "$file" ] || [ ! -r "$file" ]; then
    echo "check-static: $file: not a readable file" >&2
    exit 1
fi

# The unsigned little-endian integer of $2 bytes at offset $1.
field() {
    bytes="$(od -An -v -t u1 -j "$1" -N "$2" -- "$file" 2>/dev/null)" || bytes=""
    value=0
    bits=0
    count=0
    for byte in $bytes; do
        value=$((value + (byte << bits)))
        bits=$((bits + 8))
        count=$((count + 1))
    done
    if [ "$count" -ne "$2" ]; then
        echo "check-static: $file: truncated ELF header" >&2
        exit 1
    fi
    echo "$value"
}

# e_ident: the magic \177ELF, class 2 (64-bit), data 1 (little-endian).
ident="$(od -An -v -t u1 -N 6 -- "$file" | tr -s ' \n' ' ')"
if [ "$ident" != " 127 69 76 70 2 1 " ]; then
    echo "check-static: $file: not a 64-bit little-endian ELF file" >&2
    exit 1
fi
type="$(field 16 2)"        # e_type: 2 executable, 3 shared object (PIE executables too)
phoff="$(field 32 8)"       # e_phoff: where the program headers start
phentsize="$(field 54 2)"   # e_phentsize
phnum="$(field 56 2)"       # e_phnum
if [ "$type" -ne 2 ] && [ "$type" -ne 3 ]; then
    echo "check-static: $file: not an executable (ELF type $type)" >&2
    exit 1
fi
if [ "$phnum" -eq 0 ] || [ "$phentsize" -lt 4 ]; then
    echo "check-static: $file: no program headers" >&2
    exit 1
fi
i=0
while [ "$i" -lt "$phnum" ]; do
    p_type="$(field $((phoff + i * phentsize)) 4)"
    if [ "$p_type" -eq 3 ]; then   # PT_INTERP
        echo "check-static: $file is dynamically linked (it has a PT_INTERP program header: it needs a loader and shared libraries at run time)" >&2
        exit 1
    fi
    i=$((i + 1))
done
