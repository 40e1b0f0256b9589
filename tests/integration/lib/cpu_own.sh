# Whose code a CPU profile holds (sourced after common.sh): the mappings of
# cprof and of the libraries only its threads run (libmicrohttpd, libz,
# libdw, libelf, libgnutls), read from `go tool pprof -raw` output.
OWN_CODE_RE='libcprof|libmicrohttpd|libz\.|libdw|libelf|libgnutls'

# own_code_mappings RAW: the ids of the mappings of cprof's own code in the
# -raw dump RAW, space-separated on one line (empty when there are none).
own_code_mappings() {
    awk -v re="$OWN_CODE_RE" '/^Mappings/ {m = 1; next} m && $0 ~ re { sub(":", "", $1); print $1 }' "$1" |
        sort -u | tr '\n' ' '
}

# own_code_samples RAW: one line per sample record of the -raw dump RAW:
# its weight (samples) and the function of its leafmost location in
# cprof's own code, "-" when its stack has none.
own_code_samples() {
    awk -v maps="$(own_code_mappings "$1")" '
        BEGIN { n = split(maps, m, " "); for (i = 1; i <= n; i++) own_map[m[i]] = 1 }
        /^Samples:/ { sec = "s"; next }
        /^Locations/ { sec = "l"; next }
        /^Mappings/ { sec = "m"; next }
        sec == "s" && /^ +[0-9]+ +[0-9]+: / {
            ns++; w[ns] = $1; ids[ns] = substr($0, index($0, ":") + 1); next }
        sec == "l" && /^ +[0-9]+: 0x/ {
            id = $1; sub(":", "", id); mp = $3; sub("M=", "", mp)
            if (mp in own_map) own_fn[id] = ($4 == "" ? "?" : $4) }
        END {
            for (i = 1; i <= ns; i++) {
                fn = "-"; k = split(ids[i], l, " ")
                for (j = 1; j <= k; j++) if (l[j] in own_fn) { fn = own_fn[l[j]]; break }
                print w[i], fn
            }
        }' "$1"
}

# own_code_percent RAW: prints the share (0-100, one decimal) of the
# profile's samples in RAW whose stack has a location in cprof's own code
# (0.0 when the profile has no samples), the number of samples and the
# number of those in cprof's own code, space-separated.
own_code_percent() {
    own_code_samples "$1" | awk '{total += $1; if ($2 != "-") own += $1}
        END {printf "%.1f %d %d\n", total ? 100 * own / total : 0, total, own}'
}

# own_code_leaves RAW...: for the samples of the -raw dumps RAW... whose
# stack has a location in cprof's own code, the leafmost such location's
# function: "SAMPLES FUNCTION" lines, most samples first (for logs).
own_code_leaves() {
    local raw
    for raw in "$@"; do own_code_samples "$raw"; done |
        awk '$2 != "-" {s[$2] += $1} END {for (f in s) print s[f], f}' | sort -rn
}
