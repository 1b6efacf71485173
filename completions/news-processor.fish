# fish completion for news-processor(1).
# The option lists are checked against --help by tests/install/check.sh: add an option to the
# program and that test fails until it is offered here too.

set -l run 'not __fish_seen_subcommand_from compare merge'
set -l bench '__fish_seen_subcommand_from bench'
set -l compare '__fish_seen_subcommand_from compare'
set -l merge '__fish_seen_subcommand_from merge'

complete -c news-processor -n __fish_use_subcommand -f -a bench -d 'run the pipeline W+N times and print statistics'
complete -c news-processor -n __fish_use_subcommand -f -a compare -d 'compare two timing reports'
complete -c news-processor -n __fish_use_subcommand -f -a merge -d "merge shards' NDJSON outputs into input order"

complete -c news-processor -n $run -s o -l output -r -F -d 'write the results to FILE instead of stdout'
complete -c news-processor -n $run -l format -x -a 'json ndjson' -d 'one JSON document or one NDJSON line per article'
complete -c news-processor -n $run -l input-format -x -a 'json ndjson' -d 'input format'
complete -c news-processor -n $run -l mode -x -a 'thread pool sequential' -d scheduling
complete -c news-processor -n $run -l workers -x -d 'worker threads in pool mode'
complete -c news-processor -n $run -l shard -x -d 'process only the articles whose input index is I modulo N'
complete -c news-processor -n $run -l latency -x -d 'simulated latency of each stage call, MIN:MAX ms'
complete -c news-processor -n $run -l seed -x -d 'seed for latencies and faults'
complete -c news-processor -n $run -l queue-capacity -x -d 'capacity of the results queue'
complete -c news-processor -n $run -l fail-rate -x -d 'probability that a stage call fails transiently'
complete -c news-processor -n $run -l timeout-ms -x -d 'a stage call slower than T ms gives up at T'
complete -c news-processor -n $run -l retries -x -d 'retries of a failed or timed-out call'
complete -c news-processor -n $run -l rate -x -d 'at most R stage calls per second'
complete -c news-processor -n $run -l max-inflight -x -d 'at most N stage calls in flight at once'
complete -c news-processor -n $run -l tpm -x -d 'at most N tokens per minute'
complete -c news-processor -n $run -l breaker -x -d 'circuit breaker: N:COOLDOWN_MS'
complete -c news-processor -n $run -l latency-from -r -F -d "draw latencies from a report's distribution"
complete -c news-processor -n $run -l backend -x -a 'sim openai' -d 'what answers each stage call'
complete -c news-processor -n $run -l base-url -x -d 'openai: the API base URL, before /chat/completions'
complete -c news-processor -n $run -l model -x -d 'openai: the model to ask'
complete -c news-processor -n $run -l api-key-file -r -F -d 'openai: read the API key from FILE'
complete -c news-processor -n $run -l cacert -r -F -d 'openai: CA certificates to verify the server with'
complete -c news-processor -n $run -l temperature -x -d 'openai: sampling temperature, 0..2'
complete -c news-processor -n $run -l max-tokens -x -d 'openai: most tokens per reply (N or SUM:SENT)'
complete -c news-processor -n $run -l stream -d 'openai: stream replies and record the first token'
complete -c news-processor -n $run -l deadline-ms -x -d 'cancel the run after D ms and exit 124'
complete -c news-processor -n $run -l report -r -F -d 'write a JSON timing report'
complete -c news-processor -n $run -l trace -r -F -d 'write a Chrome trace'
complete -c news-processor -n $run -l timeline -r -F -d 'write an SVG picture of the run'
complete -c news-processor -n $run -l no-progress -d 'no live progress line on a terminal'
complete -c news-processor -n $run -s q -l quiet -d 'print nothing on stderr but errors'
complete -c news-processor -n $run -s v -l verbose -d 'also log each stage call on stderr'
complete -c news-processor -n $run -s h -l help -d 'show the help and exit'
complete -c news-processor -n $run -s V -l version -d 'show the version and exit'

complete -c news-processor -n $bench -l runs -x -d 'bench: measured runs'
complete -c news-processor -n $bench -l warmup -x -d 'bench: warm-up runs, not counted'

complete -c news-processor -n $compare -l threshold -x -d 'exit 1 when NEW is more than PCT percent slower'
complete -c news-processor -n $compare -l allow-single -d 'with fewer than 4 runs a side, fail on the threshold alone'
complete -c news-processor -n $compare -l format -x -a 'table markdown json' -d 'output format'
complete -c news-processor -n $compare -s h -l help -d 'show the help and exit'

complete -c news-processor -n $merge -s o -l output -r -F -d 'write the merged results to FILE instead of stdout'
complete -c news-processor -n $merge -l format -x -a 'json ndjson' -d 'one JSON document or NDJSON lines, in input order'
complete -c news-processor -n $merge -s h -l help -d 'show the help and exit'
