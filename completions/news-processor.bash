# bash completion for news-processor(1).
# The option lists are checked against --help by tests/install/check.sh: add an option to the
# program and that test fails until it is offered here too.

_news_processor()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    # "--mode=po": bash splits the word at '=', so the option is one word further back.
    if [[ $cur == = ]]; then
        cur=""
    elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    fi

    local command=""
    if [[ $COMP_CWORD -gt 1 && ${COMP_WORDS[1]} =~ ^(bench|compare|merge)$ ]]; then
        command=${COMP_WORDS[1]}
    fi

    local run_options="--output --format --input-format --mode --workers --shard --latency
        --seed --queue-capacity --fail-rate --timeout-ms --retries --rate --max-inflight --tpm --breaker
        --latency-from --backend --base-url --model --api-key-file --cacert --temperature --max-tokens
        --stream --deadline-ms --report --trace --timeline --no-progress --quiet --verbose --help --version"
    local bench_options="--runs --warmup"
    local compare_options="--threshold --allow-single --format --help"
    local merge_options="--output --format --help"

    # The argument of the option before the cursor.
    case $prev in
    -o | --output | --report | --trace | --timeline | --latency-from | --api-key-file | --cacert)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return
        ;;
    --format)
        if [[ $command == compare ]]; then
            mapfile -t COMPREPLY < <(compgen -W "table markdown json" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "json ndjson" -- "$cur")
        fi
        return
        ;;
    --input-format)
        mapfile -t COMPREPLY < <(compgen -W "json ndjson" -- "$cur")
        return
        ;;
    --mode)
        mapfile -t COMPREPLY < <(compgen -W "thread pool sequential" -- "$cur")
        return
        ;;
    --backend)
        mapfile -t COMPREPLY < <(compgen -W "sim openai" -- "$cur")
        return
        ;;
    --base-url | --model)
        COMPREPLY=() # a URL or a model name: nothing to offer
        return
        ;;
    --workers | --shard | --latency | --seed | --queue-capacity | --fail-rate | --timeout-ms | \
        --retries | --rate | --max-inflight | --tpm | --breaker | --deadline-ms | --runs | \
        --warmup | --threshold | --temperature | --max-tokens)
        COMPREPLY=() # a number: nothing to offer
        return
        ;;
    esac

    if [[ $cur == -* ]]; then
        local options=$run_options
        case $command in
        bench) options="$run_options $bench_options" ;;
        compare) options=$compare_options ;;
        merge) options=$merge_options ;;
        esac
        mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
        return
    fi
    # An input file (ARTICLES.json, the two reports of compare, merge's parts); first, also a
    # subcommand.
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    if [[ $COMP_CWORD -eq 1 ]]; then
        local subcommands
        mapfile -t subcommands < <(compgen -W "bench compare merge" -- "$cur")
        COMPREPLY+=("${subcommands[@]}")
    fi
}
complete -F _news_processor news-processor
