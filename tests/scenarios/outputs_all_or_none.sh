# Outputs (issue 10, items 3, 4, 5, 6, 15, 18):
#  - closed standard descriptors never end up inside output files; a closed stdout that results
#    are meant for is a write error (exit 1);
#  - two outputs naming one file, or an output naming the input, are refused before the run;
#  - all outputs or none: a failure writing any of them replaces none, leaves no temporary, and
#    keeps stdout empty where it can (a regular file is truncated back);
#  - a replaced file keeps its mode and owner; a new one gets 0666 & ~umask;
#  - names of 248-255 bytes and dangling symbolic links are written through a temporary file.
source "$(dirname "$0")/lib.sh"
cd "$work"
input=$repo/data/articles.json

# Item 3: closed descriptors (the program itself, not the test's wrapper script, which a shell
# would read through the closed descriptor's number).
"$np_program" -v --latency 0 -o o.json "$input" 2>&-
check "stderr closed: the results file holds only the document" jq -e '.articles | length == 15' o.json
status_of "$np_program" -q --latency 0 --report r.json "$input" >&-
check "stdout closed, results meant for it: exit 1" test "$status" = 1
check "stdout closed: the report is not committed" test ! -e r.json -a -z "$(leftovers .)"
status_of "$np_program" -q --latency 0 -o o.json --report r.json "$input" >&-
check "stdout closed but not needed (-o): exit 0" test "$status" = 0
check "stdout closed: the report holds only the report" jq -e '.schema_version and (.articles | not)' r.json
echo '{"precious": true}' >k.json
status_of "$np_program" -q --input-format ndjson -o k.json - <&- 2>stdin.err
check "stdin closed: exit 1, a read error" test "$status" = 1
check "stdin closed: says it cannot read" grep -q '<stdin>:1: cannot read: Bad file descriptor' stdin.err
check "stdin closed: k.json untouched" grep -q precious k.json
status_of "$np_program" -q --latency 0 -o /dev/stdout "$input" >&- 2>closed.err
check "-o /dev/stdout with stdout closed: exit 1 (was: results into /dev/null, exit 0)" \
    test "$status" = 1
check "-o /dev/stdout with stdout closed: says so" grep -q 'standard output.*closed' closed.err

# Item 4: one file named twice.
refused() { # DESCRIPTION ARGS...: exit 2, nothing touched
    local what=$1
    shift
    echo '{"precious": true}' >x.json
    status_of "$np" -q --latency 0 "$@" "$input" >stdout.txt 2>stderr.txt
    check "$what: exit 2" test "$status" = 2
    check "$what: x.json untouched" grep -q precious x.json
    check "$what: stdout empty" test ! -s stdout.txt
    check "$what: says why" grep -q 'name the same file\|is the input file' stderr.txt
}
echo '{"precious": true}' >x.json
ln -s x.json x.link
ln x.json x.hard 2>/dev/null || cp x.json x.hard
refused "-o and --report, one name" -o x.json --report x.json
refused "--trace and --timeline, one name" --trace x.json --timeline x.json
refused "-o and a symlink to it" -o x.json --report x.link
refused "-o and a hard link to it" --trace x.hard -o x.json
rm -f new.json
mkdir sub
refused "a file not there yet, named two ways" -o ./new.json --report sub/../new.json
check "the file not there yet was not created" test ! -e new.json
cp "$input" in.json
status_of "$np" -q --latency 0 -o in.json in.json 2>stderr.txt
check "-o naming the input: exit 2" test "$status" = 2
check "-o naming the input: the input untouched" cmp -s "$input" in.json
status_of "$np" -q --latency 0 -o /dev/null --report /dev/null --trace /dev/null "$input"
check "a device may take several outputs" test "$status" = 0
# Standard output is an output too, when the results go there.
echo '{"precious": true}' >x.json
status_of "$np" -q --latency 0 --report x.json "$input" >>x.json
check "--report naming the file stdout goes to: refused" test "$status" = 2
check "--report naming the file stdout goes to: it keeps its content" grep -q precious x.json
status_of "$np" -q --latency 0 --report /dev/stdout "$input" >x.json
check "--report /dev/stdout with the results on stdout: refused" test "$status" = 2
cp "$input" self.json
status_of "$np" -q --latency 0 self.json 1<>self.json
check "stdout opened on the input (1<>): refused, the input intact" cmp -s "$input" self.json
mkdir dangle && ln -s x.json dangle/a.json
refused "a dangling link and its target" -o dangle/a.json --report dangle/x.json
check "the dangling link's target was not created" test ! -e dangle/x.json

# Item 5 and 15: all or none, on a full file system (a 64 KiB tmpfs in a private mount namespace).
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    "$gen" --seed 3 200 >big.json
    cat >full.sh <<'SCRIPT'
set -u
np=$1 input=$2
mkdir -p full && mount -t tmpfs -o size=64k tmpfs full || exit 99
echo keep >keep.json
"$np" -q --latency 0 -o keep.json --trace full/t.json "$input"; echo "files $?" >>results
"$np" -q --latency 0 --trace full/t.json "$input" >stdout1.json; echo "stdout $?" >>results
ls -A full >full-left
"$np" -q --latency 0 "$input" >full/stdout.json; echo "stdout-full $?" >>results
wc -c <full/stdout.json >full-size
rm -f full/stdout.json
echo precious >full/old.txt
"$np" -q --latency 0 "$input" 1<>full/old.txt; echo "rw $?" >>results
wc -c <full/old.txt >rw-size
SCRIPT
    unshare -m bash full.sh "$np_program" big.json 2>full.err
    check "trace on a full disk: exit 1" grep -qx 'files 1' results
    check "trace on a full disk: the results file is not replaced (was: new results)" grep -qx keep keep.json
    check "trace on a full disk: stdout stays empty" grep -qx 'stdout 1' results
    check "trace on a full disk: stdout empty" test ! -s stdout1.json
    check "trace on a full disk: no temporary left there" test ! -s full-left
    check "document to a full disk on stdout: exit 1" grep -qx 'stdout-full 1' results
    check "document to a full disk: the file truncated back to empty (was: 64 KB of invalid JSON)" \
        test "$(cat full-size)" = 0
    check "full disk: the errors say so" grep -q 'No space left on device' full.err
    check "stdout opened read-write on a file (1<>): exit 1" grep -qx 'rw 1' results
    check "1<>: the file is never cut below its old length (was: truncated to 0)" \
        test "$(cat rw-size)" = 9
else
    echo "    (not root or no mount namespaces: the full-disk checks are skipped)"
fi
# A rename that would fail part-way through the commit: in a sticky world-writable directory,
# an unprivileged user may not replace a file root owns. Before any rename, each target gets a
# second name (a hard link), which the system refuses here: nothing is replaced.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
    sticky=$(mktemp -d /tmp/np-sticky.XXXXXX)
    chmod 1777 "$sticky"
    cp "$np_program" "$sticky/np" && chmod 755 "$sticky/np"
    cp "$input" "$sticky/in.json" && chmod 644 "$sticky/in.json"
    echo '{"root": true}' >"$sticky/rootown.json"
    chmod 666 "$sticky/rootown.json"
    setpriv --reuid=65534 --regid=65534 --clear-groups sh -c \
        'cd "$1" && echo OLD >mine.json && ./np -q --latency 0 -o mine.json --report rootown.json in.json; echo $? >status' \
        _ "$sticky" 2>sticky.err
    check "a commit that cannot replace every target: exit 1" test "$(cat "$sticky/status")" = 1
    check "... and replaces none (was: the results renamed in before the failure)" \
        test "$(cat "$sticky/mine.json")" = OLD
    check "... the root-owned target kept" grep -q '"root"' "$sticky/rootown.json"
    check "... no temporary or second name left" test -z "$(find "$sticky" -name '.*')"
    rm -rf "$sticky"
fi
# stdout a regular file opened for appending: truncated back to what it held.
echo "earlier line" >append.txt
status_of "$np" -q --latency 0 --report /nonexistent-dir/r.json "$input" >>append.txt
check "report cannot be created: nothing appended" test "$(cat append.txt)" = "earlier line"

# Item 6: permissions.
echo old >mode.json
chmod 600 mode.json
owner=root
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    chown nobody mode.json
    owner=nobody
fi
"$np" -q --latency 0 -o mode.json "$input"
check "a replaced file keeps its mode 600" test "$(stat -c %a mode.json)" = 600
check "a replaced file keeps its owner" test "$(stat -c %U mode.json)" = "$owner"
check "and holds the new results" jq -e '.articles | length == 15' mode.json
(umask 027 && "$np" -q --latency 0 -o fresh.json "$input")
check "a new file gets 0666 & ~umask (640)" test "$(stat -c %a fresh.json)" = 640

# Item 18: long names, dangling links.
long=$(printf 'n%.0s' $(seq 1 250)).json
"$np" -q --latency 0 -o "$long" "$input"
check "a 255-byte file name is written (was: File name too long)" jq -e '.articles | length == 15' "$long"
ln -s target.json dangling
"$np" -q --latency 0 -o dangling "$input"
check "a dangling link stays a link" test -L dangling
check "its target is created, complete" jq -e '.articles | length == 15' target.json
check "no temporary file left anywhere" test -z "$(leftovers .)"
done_ok
