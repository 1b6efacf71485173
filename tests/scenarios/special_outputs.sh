# Output targets that are not plain files are written in place, never replaced: a character
# device (a private copy of /dev/null), a FIFO, a symlink to /proc/self/fd/1 (what /dev/stdout
# is) whether stdout is a file or a pipe, and a symlink to a regular file (the file it points to
# is replaced atomically; the link stays). Running as root, a rename would otherwise turn
# /dev/null into a plain file.
source "$(dirname "$0")/lib.sh"
input=$repo/data/articles.json
cd "$work"
mkfifo fifo
ln -s /proc/self/fd/1 mystdout
echo old >real
ln -s real link
if mknod nulldev c 1 3 2>/dev/null; then
    "$np" -q --latency 0 -o nulldev --report nulldev --trace nulldev "$input"
    check "a device stays a device" test -c nulldev
fi
"$np" -q --latency 0 -o mystdout "$input" >captured.json
check "a link to stdout, stdout a file: the document lands in the file" jq -e '.articles | length == 15' captured.json
check "the link stays a link" test -L mystdout
"$np" -q --latency 0 -o mystdout "$input" | jq -e '.articles | length == 15' >/dev/null
check "a link to stdout, stdout a pipe: written through" test $? = 0
cat fifo >fifo.out &
reader=$!
"$np" -q --latency 0 -o fifo "$input"
wait "$reader"
check "a FIFO stays a FIFO" test -p fifo
check "the FIFO's reader got the document" jq -e '.articles | length == 15' fifo.out
"$np" -q --latency 0 -o link "$input"
check "a link to a file stays a link" test -L link
check "the file behind the link is replaced" jq -e '.articles | length == 15' real
check "no temporary files left" test -z "$(find . -name '.*.??????')"
done_ok
