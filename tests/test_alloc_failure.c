/*
 * Allocation-failure tests: when memory runs out in the loader, the NDJSON source or the pipeline,
 * the caller gets a clear one-line "out of memory" error (or, for an article's summary, a result
 * failed with "out of memory"), never a crash, a hang, a misleading message or a leak, and every
 * thread the pipeline started has been joined when np_pipeline_run returns.
 *
 * How the hook works: the test is linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
 * (tests/alloc_failure.cmake), which sends every call made from this file and from the statically
 * linked np library to __wrap_malloc and friends. cJSON is a shared library, so its allocations
 * are routed through the same counter with cJSON_InitHooks. When armed, the wrappers count
 * allocations atomically (pipeline threads allocate concurrently) and fail the k-th one
 * (FAIL_ONE) or every one from the k-th on (FAIL_FROM), setting errno to ENOMEM as malloc does.
 * Each test runs its operation for k = 1, 2, ... until a run needs fewer than k allocations, so
 * every allocation is failed once. pthread_create and pthread_join are wrapped too, to count
 * that every started thread is joined on every path. Memory pressure while articles run is
 * back-pressure: the tests that show it hold the collector until the failure has been injected,
 * so that articles are certainly in flight when it happens (a handshake, not a sleep). Allocations
 * inside libc (fopen, getline, pthread_create's own) are not reached by --wrap and are not failed
 * here.
 *
 * Leaks on the error paths are found by the AddressSanitizer build (LeakSanitizer at exit), races
 * by the ThreadSanitizer build.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "np/loader.h"
#include "np/pipeline.h"
#include "np/source.h"

#include "dispatchers.h"

/* ---- the failing allocator -------------------------------------------------------------- */

typedef enum fail_mode {
    FAIL_NONE,         /* disarmed: nothing counted, nothing failed */
    FAIL_ONE,          /* fail only the k-th allocation */
    FAIL_FROM,         /* fail the k-th allocation and every one after it */
    FAIL_LARGE,        /* fail every allocation of at least k bytes, nothing else */
    FAIL_UNTIL_JOINED, /* fail from the k-th on while fewer than armed_joins threads were joined */
    FAIL_MODE_COUNT
} fail_mode;

static const char *const fail_mode_names[FAIL_MODE_COUNT] = {
    [FAIL_NONE] = "none",
    [FAIL_ONE] = "only the k-th",
    [FAIL_FROM] = "from the k-th on",
    [FAIL_LARGE] = "every one of at least k bytes",
    [FAIL_UNTIL_JOINED] = "from the k-th on until threads are joined",
};

static atomic_int armed_mode;     /* a fail_mode */
static atomic_size_t armed_k;     /* which allocation fails first, from 1 */
static atomic_size_t allocations; /* allocations made while armed */
static atomic_size_t failures;    /* allocations failed while armed */
static atomic_size_t threads_created;
static atomic_size_t threads_joined;
static atomic_size_t armed_joins; /* FAIL_UNTIL_JOINED: joins that end the refusal */
/* Broadcast after every injected failure, for tests that wait for one (gated_progress). */
static pthread_mutex_t failure_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t failure_injected = PTHREAD_COND_INITIALIZER;

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *p, size_t size);
int __real_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                          void *arg);
int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                          void *arg);
int __real_pthread_join(pthread_t thread, void **result);
int __wrap_pthread_join(pthread_t thread, void **result);

/* Whether this allocation fails; counts it when armed. */
static int should_fail(size_t size)
{
    int mode = atomic_load(&armed_mode);
    if (mode == FAIL_NONE)
        return 0;
    size_t n = atomic_fetch_add(&allocations, 1) + 1;
    size_t k = atomic_load(&armed_k);
    int fail = (mode == FAIL_ONE && n == k) || (mode == FAIL_FROM && n >= k) ||
               (mode == FAIL_LARGE && size >= k) ||
               (mode == FAIL_UNTIL_JOINED && n >= k &&
                atomic_load(&threads_joined) < atomic_load(&armed_joins));
    if (!fail)
        return 0;
    atomic_fetch_add(&failures, 1);
    pthread_mutex_lock(&failure_mutex);
    pthread_cond_broadcast(&failure_injected);
    pthread_mutex_unlock(&failure_mutex);
    errno = ENOMEM;
    return 1;
}

static void *failing_malloc(size_t size)
{
    return should_fail(size) ? NULL : __real_malloc(size);
}

static void failing_free(void *p)
{
    free(p);
}

void *__wrap_malloc(size_t size)
{
    return failing_malloc(size);
}

void *__wrap_calloc(size_t count, size_t size)
{
    return should_fail(count * size) ? NULL : __real_calloc(count, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return should_fail(size) ? NULL : __real_realloc(p, size);
}

int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                          void *arg)
{
    int err = __real_pthread_create(thread, attr, start, arg);
    if (!err)
        atomic_fetch_add(&threads_created, 1);
    return err;
}

int __wrap_pthread_join(pthread_t thread, void **result)
{
    int err = __real_pthread_join(thread, result);
    if (!err)
        atomic_fetch_add(&threads_joined, 1);
    return err;
}

/* Starts counting; the k-th allocation from now on is the first to fail (per mode). */
static void arm(fail_mode mode, size_t k)
{
    atomic_store(&allocations, 0);
    atomic_store(&failures, 0);
    atomic_store(&armed_k, k);
    atomic_store(&armed_mode, (int)mode);
}

/* Stops failing; returns how many allocations were failed since arm. */
static size_t disarm(void)
{
    atomic_store(&armed_mode, (int)FAIL_NONE);
    return atomic_load(&failures);
}

/* Every test starts with cJSON's allocations counted too, and ends disarmed with them reset. */
static int install_hooks(void **state)
{
    (void)state;
    disarm();
    cJSON_InitHooks(&(cJSON_Hooks){failing_malloc, failing_free});
    return 0;
}

static int remove_hooks(void **state)
{
    (void)state;
    disarm();
    cJSON_InitHooks(NULL);
    return 0;
}

/* No operation here needs anywhere near this many allocations: reaching it means a runaway. */
#define MAX_K 100000

/*
 * Reading five articles takes more allocations than this only if cJSON's are counted (a node per
 * article and per member, plus the strings): the proof that its hooks are in place.
 */
#define FIVE_ARTICLES_ALLOCATIONS_AT_LEAST 20

/*
 * A whole document is parsed into an arena (np/json_arena.h): cJSON's allocations are then carved
 * from the arena's blocks, which np's code allocates (wrapped here). Loading five articles takes
 * the arena, its block, the article array and the id set: failing each is what shows that an
 * allocation cJSON needs, failing, gives "out of memory".
 */
#define FIVE_ARTICLES_DOCUMENT_ALLOCATIONS_AT_LEAST 4

/*
 * A failure message must be one line, start with prefix (what it is about) and say "out of
 * memory": not a syntax error or a read error that did not happen.
 */
static void check_oom_message(const char *err, const char *prefix, fail_mode mode, size_t k)
{
    if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, "out of memory") == NULL ||
        strchr(err, '\n') != NULL)
        fail_msg("allocation %zu failed (%s), unclear message: \"%s\"", k, fail_mode_names[mode],
                 err);
}

/* ---- loader ----------------------------------------------------------------------------- */

/*
 * Five articles: numeric ids (one written 3e0), string ids (one made of an escape), unknown
 * members of every JSON type, string escapes, a surrogate pair, raw UTF-8 and an empty content.
 */
static const char document[] =
    "{\"source\": \"wire \\\"A\\\"\", \"articles\": [\n"
    " {\"id\": 1, \"title\": \"Harbor Foods posts record profit\", \"content\": \"Harbor Foods "
    "reported a record annual profit on Tuesday. Net income rose 18% to $412 million.\", "
    "\"tags\": [\"food\", \"markets\"]},\n"
    " {\"id\": \"b-2\", \"title\": \"Storm \\\"Ada\\\" closes two ports\", \"content\": "
    "\"Officials closed the ports.\\nShipping resumed on Friday.\\tNo injuries were reported.\"},\n"
    " {\"id\": 3e0, \"title\": \"Caf\\u00e9 chain expands\", \"content\": \"The caf\xc3\xa9 chain "
    "opened 40 stores \\ud83d\\udcf0 in 2024.\", \"lang\": \"en\"},\n"
    " {\"id\": \"\\u00e9-4\", \"title\": \"Path C:\\\\data\", \"content\": \"Backslash \\\\ and "
    "slash \\/ survive.\"},\n"
    " {\"id\": 5, \"title\": \"Quiet day\", \"content\": \"\", \"meta\": {\"words\": 0, "
    "\"draft\": false, \"editor\": null, \"score\": -1.5e-3}}\n"
    "]}\n";

/* The document read back exactly. */
static void check_document(const np_article_list *list)
{
    assert_int_equal(list->count, 5);
    assert_int_equal(list->items[0].id.kind, NP_ID_NUMBER);
    assert_int_equal(list->items[0].id.number, 1);
    assert_int_equal(list->items[1].id.kind, NP_ID_STRING);
    assert_int_equal(list->items[1].id.text_len, 3);
    assert_memory_equal(list->items[1].id.text, "b-2", 3);
    assert_string_equal(list->items[1].title, "Storm \"Ada\" closes two ports");
    assert_string_equal(list->items[1].content,
                        "Officials closed the ports.\nShipping resumed on Friday.\tNo injuries "
                        "were reported.");
    assert_int_equal(list->items[2].id.number, 3);
    assert_string_equal(list->items[2].title, "Caf\xc3\xa9 chain expands");
    assert_string_equal(list->items[2].content,
                        "The caf\xc3\xa9 chain opened 40 stores \xf0\x9f\x93\xb0 in 2024.");
    assert_int_equal(list->items[3].id.text_len, 4);
    assert_memory_equal(list->items[3].id.text, "\xc3\xa9-4", 4);
    assert_string_equal(list->items[3].title, "Path C:\\data");
    assert_string_equal(list->items[3].content, "Backslash \\ and slash / survive.");
    assert_int_equal(list->items[4].id.number, 5);
    assert_int_equal(list->items[4].content_len, 0);
}

/* An empty list, as the loader must leave it on failure. */
static void check_empty(const np_article_list *list)
{
    assert_null(list->items);
    assert_int_equal(list->count, 0);
    assert_null(list->storage);
}

/*
 * Parses the document failing allocation k = 1, 2, ... (per mode) until a parse meets no
 * failure. Returns how many allocations a successful parse makes.
 */
static size_t parse_document_under_failures(fail_mode mode)
{
    for (size_t k = 1; k < MAX_K; k++) {
        np_article_list list;
        char err[NP_LOADER_ERROR_SIZE] = "";
        arm(mode, k);
        int rc = np_loader_parse(document, sizeof(document) - 1, "articles.json", &list, err,
                                 sizeof(err));
        size_t failed = disarm();
        if (failed == 0) {
            assert_int_equal(rc, 0);
            check_document(&list);
            np_article_list_free(&list);
            return k - 1;
        }
        assert_int_equal(rc, -1);
        check_oom_message(err, "articles.json: ", mode, k);
        check_empty(&list);
    }
    fail_msg("the loader never stopped allocating");
    return 0;
}

static void test_loader_reports_out_of_memory_at_every_allocation(void **state)
{
    (void)state;
    size_t needed = parse_document_under_failures(FAIL_ONE);
    assert_true(needed >= FIVE_ARTICLES_DOCUMENT_ALLOCATIONS_AT_LEAST);
    assert_int_equal(parse_document_under_failures(FAIL_FROM), needed);
}

/*
 * A document whose tree takes several of the arena's blocks (2,000 articles, a few megabytes):
 * failing any one of them, in the middle of cJSON's parse, gives "out of memory" and an empty
 * list (no leak: the ASan build); with none failed, every article is read back.
 */
static void test_loader_reports_out_of_memory_at_every_arena_block(void **state)
{
    (void)state;
    enum { ARTICLES = 2000 };
    size_t size = (size_t)ARTICLES * 600 + 16, len = 0;
    char *big = malloc(size);
    assert_non_null(big);
    len += (size_t)snprintf(big + len, size - len, "[");
    for (int i = 0; i < ARTICLES; i++)
        len += (size_t)snprintf(big + len, size - len,
                                "%s{\"id\": %d, \"title\": \"Title %d\", \"content\": \"%0400d\"}",
                                i ? "," : "", i, i, i);
    len += (size_t)snprintf(big + len, size - len, "]");
    size_t k;
    for (k = 1; k < MAX_K; k++) {
        np_article_list list;
        char err[NP_LOADER_ERROR_SIZE] = "";
        arm(FAIL_ONE, k);
        int rc = np_loader_parse(big, len, "big.json", &list, err, sizeof(err));
        size_t failed = disarm();
        if (failed == 0) {
            assert_int_equal(rc, 0);
            assert_int_equal(list.count, ARTICLES);
            assert_string_equal(list.items[ARTICLES - 1].title, "Title 1999");
            assert_int_equal(list.items[ARTICLES - 1].content_len, 400);
            np_article_list_free(&list);
            break;
        }
        assert_int_equal(rc, -1);
        check_oom_message(err, "big.json: ", FAIL_ONE, k);
        check_empty(&list);
    }
    /* 13 allocations: the arena, its five blocks (64 KB doubling, for a tree of some 1.5 MB), the
     * article array and its five growths, the id set. With one block for the whole tree, 9. */
    assert_true(k - 1 >= 13 && k < MAX_K);
    free(big);
}

/*
 * A document with trailing data fails cJSON's strict parse; the loader then re-parses it leniently
 * to say so. When that second parse runs out of memory, the message must say "out of memory",
 * not blame a syntax error the document does not have.
 */
static void test_loader_explaining_an_error_reports_out_of_memory_not_another_error(void **state)
{
    (void)state;
    static const char trailing[] = "[{\"id\": 1, \"title\": \"t\", \"content\": \"c\"}] x";
    for (int m = FAIL_ONE; m <= FAIL_FROM; m++) {
        size_t k;
        for (k = 1; k < MAX_K; k++) {
            np_article_list list;
            char err[NP_LOADER_ERROR_SIZE] = "";
            arm((fail_mode)m, k);
            int rc =
                np_loader_parse(trailing, sizeof(trailing) - 1, "in.json", &list, err, sizeof(err));
            size_t failed = disarm();
            assert_int_equal(rc, -1);
            check_empty(&list);
            if (failed == 0) {
                assert_string_equal(err, "in.json:1:43: unexpected data after the JSON document");
                break;
            }
            check_oom_message(err, "in.json: ", (fail_mode)m, k);
        }
        assert_true(k > 2 && k < MAX_K);
    }
}

/* Writes text to a new temporary file; returns its path in path (size >= 32). */
static void write_temp_file(char *path, size_t size, const char *text, size_t len)
{
    snprintf(path, size, "/tmp/np-alloc-failure-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static void test_load_file_reports_out_of_memory_at_every_allocation(void **state)
{
    (void)state;
    char path[64], prefix[80];
    write_temp_file(path, sizeof(path), document, sizeof(document) - 1);
    snprintf(prefix, sizeof(prefix), "%s: ", path);
    for (int m = FAIL_ONE; m <= FAIL_FROM; m++) {
        size_t k;
        for (k = 1; k < MAX_K; k++) {
            np_article_list list;
            char err[NP_LOADER_ERROR_SIZE] = "";
            arm((fail_mode)m, k);
            int rc = np_loader_load_file(path, &list, err, sizeof(err));
            size_t failed = disarm();
            if (failed == 0) {
                assert_int_equal(rc, 0);
                check_document(&list);
                np_article_list_free(&list);
                break;
            }
            assert_int_equal(rc, -1);
            check_oom_message(err, prefix, (fail_mode)m, k);
            check_empty(&list);
        }
        assert_true(k > FIVE_ARTICLES_DOCUMENT_ALLOCATIONS_AT_LEAST && k < MAX_K);
    }
    unlink(path);
}

/* ---- NDJSON ----------------------------------------------------------------------------- */

static const char ndjson_line[] = "{\"id\": \"n-\\u00e9\", \"extra\": [1, {\"a\": null}], "
                                  "\"title\": \"Caf\\u00e9 \\\"news\\\"\", "
                                  "\"content\": \"Markets rose.\\nNothing else happened.\"}";

static void test_ndjson_object_parse_reports_out_of_memory_at_every_allocation(void **state)
{
    (void)state;
    for (int m = FAIL_ONE; m <= FAIL_FROM; m++) {
        size_t k;
        for (k = 1; k < MAX_K; k++) {
            np_article *article = NULL;
            char err[NP_LOADER_ERROR_SIZE] = "";
            arm((fail_mode)m, k);
            int rc = np_loader_parse_object(ndjson_line, sizeof(ndjson_line) - 1, "in.ndjson", 7, 3,
                                            &article, err, sizeof(err));
            size_t failed = disarm();
            if (failed == 0) {
                assert_int_equal(rc, 0);
                assert_int_equal(article->id.kind, NP_ID_STRING);
                assert_string_equal(article->id.text, "n-\xc3\xa9");
                assert_string_equal(article->title, "Caf\xc3\xa9 \"news\"");
                assert_string_equal(article->content, "Markets rose.\nNothing else happened.");
                free(article);
                break;
            }
            assert_int_equal(rc, -1);
            assert_null(article);
            check_oom_message(err, "in.ndjson:7: ", (fail_mode)m, k);
        }
        /* The line is 16 cJSON nodes and strings (counted through the hooks) and 2 more. */
        assert_true(k > 16 && k < MAX_K);
    }
}

/* Reads the whole NDJSON file at path with allocation k failing (per mode); returns how many
 * allocations failed. */
static size_t read_ndjson_under_failure(const char *path, fail_mode mode, size_t k)
{
    char err[NP_SOURCE_ERROR_SIZE] = "", prefix[80];
    snprintf(prefix, sizeof(prefix), "%s:", path);
    size_t produced = 0;
    int rc = -1;
    arm(mode, k);
    np_input input; /* opened and handed to the source as main.c's session_source does */
    np_source *source = NULL;
    if (np_input_open(&input, path, -1) == 0) {
        source = np_source_from_input(&input);
        if (!source) { /* the input is still ours; main then says "out of memory" */
            snprintf(err, sizeof(err), "%s: out of memory", path);
            np_input_close(&input);
        }
    }
    if (source) {
        np_work work;
        while ((rc = np_source_next(source, &work, err, sizeof(err))) == 1) {
            assert_int_equal(work.index, produced);
            assert_non_null(work.owned);
            assert_int_equal(work.article->id.kind, NP_ID_NUMBER);
            assert_int_equal(work.article->id.number, 10 + produced);
            free(work.owned);
            produced++;
        }
    }
    size_t failed = disarm();
    /* Memory running out, in a read or while parsing a line, is the system's failure (exit 1),
     * never taken for a malformed line (exit 2). */
    int read_errno = source ? np_source_read_errno(source) : ENOMEM;
    np_source_close(source);
    if (failed == 0) {
        assert_int_equal(rc, 0);
        assert_int_equal(produced, 5);
    } else {
        assert_int_equal(rc, -1);
        check_oom_message(err, prefix, mode, k);
        assert_int_equal(read_errno, ENOMEM);
    }
    return failed;
}

static void test_ndjson_source_reports_out_of_memory_at_every_allocation(void **state)
{
    (void)state;
    static const char text[] = "{\"id\": 10, \"title\": \"a\", \"content\": \"One. Two.\"}\n"
                               "\n"
                               "{\"id\": 11, \"title\": \"b\\u00e9\", \"content\": \"\"}\r\n"
                               "{\"title\": \"c\", \"id\": 12, \"x\": [true], \"content\": \"c\"}\n"
                               "  \n"
                               "{\"id\": 13, \"title\": \"d\", \"content\": \"\\\"q\\\"\"}\n"
                               "{\"id\": 14, \"title\": \"e\", \"content\": \"e\"}";
    char path[64];
    write_temp_file(path, sizeof(path), text, sizeof(text) - 1);
    for (int m = FAIL_ONE; m <= FAIL_FROM; m++) {
        size_t k = 1;
        while (k < MAX_K && read_ndjson_under_failure(path, (fail_mode)m, k) > 0)
            k++;
        assert_true(k > FIVE_ARTICLES_DOCUMENT_ALLOCATIONS_AT_LEAST && k < MAX_K);
    }
    unlink(path);
}

/* ---- pipeline --------------------------------------------------------------------------- */

#define ARTICLES 30

typedef struct fixture {
    np_article_list list;
    char titles[ARTICLES][32];
    char contents[ARTICLES][96];
} fixture;

static fixture *make_articles(void)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->list.items = calloc(ARTICLES, sizeof(np_article));
    assert_non_null(f->list.items);
    f->list.count = ARTICLES;
    for (size_t i = 0; i < ARTICLES; i++) {
        snprintf(f->titles[i], sizeof(f->titles[i]), "Title %zu", i);
        snprintf(f->contents[i], sizeof(f->contents[i]),
                 "Article %zu reports good news. Markets rose. Nothing else happened.", i);
        f->list.items[i] = (np_article){
            .id = {.kind = NP_ID_NUMBER, .number = 1000 + i},
            .title = f->titles[i],
            .title_len = strlen(f->titles[i]),
            .content = f->contents[i],
            .content_len = strlen(f->contents[i]),
        };
    }
    return f;
}

static void free_fixture(fixture *f)
{
    free(f->list.items);
    free(f);
}

/* Which failure paths the runs went through: each must have been reached at least once. */
typedef struct coverage {
    size_t failed_summaries; /* results failed with "out of memory" */
    size_t storing_errors;   /* runs that failed with "out of memory storing results" */
    size_t inline_articles;  /* thread mode: articles run inline for want of a task */
    size_t runs;
} coverage;

/* How many dispatchers a run over the fixture (an in-memory list) has when nothing fails. */
static size_t expected_dispatchers(const np_pipeline_config *config)
{
    return config->mode == NP_MODE_THREAD && !config->one_dispatcher && two_dispatchers_possible()
               ? 2
               : 1;
}

/*
 * One run of the pipeline over f with allocations failing as (mode, k). Checks that it returned
 * 0 or -1, joined every thread, and kept either every article (each ok with its summary, or
 * failed with "out of memory") or nothing with a clear error. Returns how many allocations failed.
 */
static size_t run_under_failure(const fixture *f, np_mode pipeline_mode, int one_dispatcher,
                                fail_mode mode, size_t k, coverage *seen)
{
    np_pipeline_config config = {
        .process = {.seed = 42, .latency_min_ms = 0, .latency_max_ms = 0},
        .mode = pipeline_mode,
        .workers = 4,
        .queue_capacity = 4,
        .one_dispatcher = one_dispatcher,
    };
    np_source *source = np_source_from_list(&f->list);
    assert_non_null(source);
    np_pipeline_results kept;
    np_run_stats stats;
    char err[256] = "";
    atomic_store(&threads_created, 0);
    atomic_store(&threads_joined, 0);
    arm(mode, k);
    int rc = np_pipeline_run(source, &config, &kept, &stats, err, sizeof(err));
    size_t failed = disarm();
    np_source_close(source);
    seen->runs++;

    if (atomic_load(&threads_created) != atomic_load(&threads_joined))
        fail_msg("%s mode, allocation %zu failed (%s): %zu threads started, %zu joined",
                 np_mode_name(pipeline_mode), k, fail_mode_names[mode],
                 atomic_load(&threads_created), atomic_load(&threads_joined));
    if (rc != 0 && rc != -1)
        fail_msg("%s mode, allocation %zu failed (%s): returned %d", np_mode_name(pipeline_mode), k,
                 fail_mode_names[mode], rc);
    if (failed == 0)
        assert_int_equal(rc, 0);
    seen->inline_articles += stats.inline_articles;

    if (rc == -1) {
        check_oom_message(err, "", mode, k);
        if (strcmp(err, "out of memory storing results") == 0)
            seen->storing_errors++;
        assert_int_equal(kept.count, 0); /* a fatal error keeps nothing */
        assert_null(kept.results);
        return failed;
    }
    assert_int_equal(kept.count, ARTICLES);
    assert_int_equal(stats.collected, ARTICLES);
    size_t failed_results = 0;
    for (size_t i = 0; i < ARTICLES; i++) {
        const np_result *r = &kept.results[i];
        assert_int_equal(r->index, i);
        assert_int_equal(kept.articles[i].id.number, 1000 + i);
        if (r->status == NP_STATUS_OK) {
            assert_non_null(r->summary);
            assert_int_equal(strlen(r->summary), r->summary_len);
            assert_true(r->summary_len > 0);
        } else {
            assert_int_equal(r->status, NP_STATUS_FAILED);
            assert_string_equal(r->error, "out of memory");
            assert_null(r->summary);
            failed_results++;
        }
    }
    /* Only a failed allocation fails an article, and each fails at most one. */
    assert_true(failed_results <= failed);
    /* One failed allocation shows exactly once: a failed result (nothing else was in flight), an
     * article run inline, a retry after an article in flight finished, or (thread mode) one
     * dispatcher instead of two. */
    size_t lost_dispatchers = expected_dispatchers(&config) - stats.dispatchers;
    if (mode == FAIL_ONE &&
        failed_results + stats.inline_articles + stats.memory_retries + lost_dispatchers != failed)
        fail_msg("%s mode, allocation %zu failed: %zu failed results, %zu inline articles, %zu "
                 "retries, %zu dispatchers",
                 np_mode_name(pipeline_mode), k, failed_results, stats.inline_articles,
                 stats.memory_retries, stats.dispatchers);
    assert_int_equal(stats.status_count[NP_STATUS_FAILED], failed_results);
    assert_int_equal(stats.status_count[NP_STATUS_OK], ARTICLES - failed_results);
    seen->failed_summaries += failed_results;
    np_pipeline_results_free(&kept);
    return failed;
}

/*
 * Runs each mode failing allocation k = 1, 2, ... (per mode) until a run meets no failure. Thread
 * mode runs twice: with its two dispatchers, and with one (allocations in input order).
 */
static void check_every_mode_under(fail_mode mode)
{
    static const struct {
        np_mode mode;
        int one_dispatcher;
    } variants[] = {
        {NP_MODE_THREAD, 0}, {NP_MODE_THREAD, 1}, {NP_MODE_POOL, 0}, {NP_MODE_SEQUENTIAL, 0}};
    fixture *f = make_articles();
    for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        np_mode m = variants[v].mode;
        int one = variants[v].one_dispatcher;
        coverage seen = {0};
        size_t k = 1;
        while (k < MAX_K && run_under_failure(f, m, one, mode, k, &seen) > 0)
            k++;
        assert_true(k < MAX_K);
        /*
         * Every path under test was reached: a summary and the collector's storage failed. Only
         * checked where the order of allocations is fixed: with threads, which allocation is the
         * k-th varies between runs, so failing one at a time may miss the collector's few.
         */
        if ((mode == FAIL_FROM || m == NP_MODE_SEQUENTIAL) &&
            (seen.failed_summaries == 0 || seen.storing_errors == 0))
            fail_msg("%s mode (%s): %zu runs, %zu failed summaries, %zu storing errors",
                     np_mode_name(m), fail_mode_names[mode], seen.runs, seen.failed_summaries,
                     seen.storing_errors);
        /* The first task is allocated before any thread runs; with two dispatchers the other
         * may have started one by then, so its failure may be a retry instead. */
        if (m == NP_MODE_THREAD && one)
            assert_true(seen.inline_articles > 0);
    }
    free_fixture(f);
}

static void test_pipeline_survives_any_one_failed_allocation_in_every_mode(void **state)
{
    (void)state;
    check_every_mode_under(FAIL_ONE);
}

static void test_pipeline_survives_every_allocation_failing_from_k_on_in_every_mode(void **state)
{
    (void)state;
    check_every_mode_under(FAIL_FROM);
}

/*
 * The collector's storage (the only allocation in a run as large as a result per article)
 * failing: the run still finishes, joins every thread and fails with "out of memory storing
 * results" (which main turns into exit 1).
 */
static void test_collector_storage_failure_fails_the_run_with_a_clear_error(void **state)
{
    (void)state;
    fixture *f = make_articles();
    for (int m = 0; m < NP_MODE_COUNT; m++) {
        coverage seen = {0};
        assert_true(run_under_failure(f, (np_mode)m, 0, FAIL_LARGE, ARTICLES * sizeof(np_result),
                                      &seen) > 0);
        assert_int_equal(seen.storing_errors, 1);
    }
    free_fixture(f);
}

/* ---- memory pressure while articles run ------------------------------------------------- */

/*
 * The collector's progress callback: it takes nothing further until an allocation has failed.
 * With a results queue of one place, the article threads (or workers) that finish meanwhile block
 * on their push, so when the dispatcher is refused memory, articles are in flight: at most two
 * have got past their push (one held here, one in the queue).
 */
static void gated_progress(void *context, size_t done, size_t dispatched, int input_finished)
{
    (void)context;
    (void)done;
    (void)dispatched;
    (void)input_finished;
    pthread_mutex_lock(&failure_mutex);
    while (atomic_load(&failures) == 0)
        pthread_cond_wait(&failure_injected, &failure_mutex);
    pthread_mutex_unlock(&failure_mutex);
}

/* Articles handed on before the failure: more than the two that can get past the gate. */
#define STARTED_BEFORE_FAILURE 3

/* Stage calls that can wait (1 ms): the pool takes one article at a time, as in real runs. */
static np_pipeline_config pressure_config(np_mode mode)
{
    return (np_pipeline_config){
        .process = {.seed = 7, .latency_min_ms = 1, .latency_max_ms = 1},
        .mode = mode,
        .workers = 4,
        .queue_capacity = 1,
        .progress = gated_progress,
        .one_dispatcher = 1, /* allocations in input order: the k-th is a known article's */
    };
}

/* One run over f with allocations failing as (mode, k); every thread it started is joined. */
static int run_pressure(const fixture *f, np_mode pipeline_mode, fail_mode mode, size_t k,
                        np_pipeline_results *kept, np_run_stats *stats)
{
    np_pipeline_config config = pressure_config(pipeline_mode);
    np_source *source = np_source_from_list(&f->list);
    assert_non_null(source);
    char err[256] = "";
    atomic_store(&threads_created, 0);
    atomic_store(&threads_joined, 0);
    arm(mode, k);
    int rc = np_pipeline_run(source, &config, kept, stats, err, sizeof(err));
    disarm();
    np_source_close(source);
    assert_int_equal(atomic_load(&threads_created), atomic_load(&threads_joined));
    return rc;
}

/*
 * The allocations a run makes before its first article (queues, arrays), and per article: the
 * dispatcher makes every allocation of a run, in input order (article threads and workers make
 * none), so the k-th is always the same one. Measured with a run that fails nothing.
 */
static void count_allocations(const fixture *f, np_mode mode, size_t *setup, size_t *per_article)
{
    np_pipeline_results kept;
    np_run_stats stats;
    /* FAIL_ONE at an allocation never reached counts them all and fails none (nor opens the
     * gate, so the run uses a config without it). */
    np_pipeline_config config = pressure_config(mode);
    config.progress = NULL;
    np_source *source = np_source_from_list(&f->list);
    assert_non_null(source);
    char err[256] = "";
    arm(FAIL_ONE, SIZE_MAX);
    assert_int_equal(np_pipeline_run(source, &config, &kept, &stats, err, sizeof(err)), 0);
    size_t total = atomic_load(&allocations);
    disarm();
    np_source_close(source);
    np_pipeline_results_free(&kept);
    /* Thread mode: the result's memory and the task; pool mode: the result's memory. */
    *per_article = mode == NP_MODE_THREAD ? 2 : 1;
    assert_true(total >= ARTICLES * *per_article);
    *setup = total - ARTICLES * *per_article;
}

/* Every article exactly once, in input order, each with a distinct completion rank. */
static void check_each_article_once(const np_pipeline_results *kept)
{
    assert_int_equal(kept->count, ARTICLES);
    int seen[ARTICLES + 1] = {0};
    for (size_t i = 0; i < ARTICLES; i++) {
        assert_int_equal(kept->results[i].index, i);
        assert_int_equal(kept->articles[i].id.number, 1000 + i);
        size_t rank = kept->results[i].completed;
        assert_true(rank >= 1 && rank <= ARTICLES);
        assert_int_equal(seen[rank], 0);
        seen[rank] = 1;
    }
}

/*
 * A transient refusal while other articles run (each allocation of the dispatcher's, from the
 * fourth article on, refused once in its own run): the article waits for one in flight to finish
 * and tries again. No article fails, none runs on the dispatcher, every one comes out once.
 */
static void test_memory_refused_while_articles_run_waits_and_loses_nothing(void **state)
{
    (void)state;
    fixture *f = make_articles();
    static const np_mode modes[] = {NP_MODE_THREAD, NP_MODE_POOL};
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        size_t setup, per_article;
        count_allocations(f, modes[m], &setup, &per_article);
        for (size_t k = setup + STARTED_BEFORE_FAILURE * per_article + 1;
             k <= setup + ARTICLES * per_article; k++) {
            np_pipeline_results kept;
            np_run_stats stats;
            assert_int_equal(run_pressure(f, modes[m], FAIL_ONE, k, &kept, &stats), 0);
            check_each_article_once(&kept);
            for (size_t i = 0; i < ARTICLES; i++)
                if (kept.results[i].status != NP_STATUS_OK)
                    fail_msg("%s mode, allocation %zu refused: article %zu %s (%s)",
                             np_mode_name(modes[m]), k, i, np_status_name(kept.results[i].status),
                             kept.results[i].error);
            assert_int_equal(stats.status_count[NP_STATUS_OK], ARTICLES);
            assert_int_equal(stats.inline_articles, 0);
            assert_int_equal(stats.memory_retries, 1);
            np_pipeline_results_free(&kept);
        }
    }
    free_fixture(f);
}

/*
 * Memory refused for good from the fourth article on: the articles already running finish ok;
 * the fourth waits for them, then, with nothing left in flight, fails with "out of memory" (it
 * completes after every earlier one); so does each later one, at once. The run ends (no hang)
 * with every article once.
 */
static void test_memory_refused_with_nothing_running_fails_the_article(void **state)
{
    (void)state;
    fixture *f = make_articles();
    static const np_mode modes[] = {NP_MODE_THREAD, NP_MODE_POOL};
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        size_t setup, per_article;
        count_allocations(f, modes[m], &setup, &per_article);
        size_t k = setup + STARTED_BEFORE_FAILURE * per_article + 1; /* the 4th's memory */
        np_pipeline_results kept;
        np_run_stats stats;
        assert_int_equal(run_pressure(f, modes[m], FAIL_FROM, k, &kept, &stats), 0);
        check_each_article_once(&kept);
        for (size_t i = 0; i < ARTICLES; i++) {
            const np_result *r = &kept.results[i];
            if (i < STARTED_BEFORE_FAILURE) {
                if (r->status != NP_STATUS_OK)
                    fail_msg("%s mode: article %zu, started before memory ran out, %s (%s)",
                             np_mode_name(modes[m]), i, np_status_name(r->status), r->error);
                assert_true(r->completed < kept.results[STARTED_BEFORE_FAILURE].completed);
            } else {
                assert_int_equal(r->status, NP_STATUS_FAILED);
                assert_string_equal(r->error, "out of memory");
                assert_null(r->summary);
            }
        }
        assert_int_equal(stats.status_count[NP_STATUS_FAILED], ARTICLES - STARTED_BEFORE_FAILURE);
        np_pipeline_results_free(&kept);
    }
    free_fixture(f);
}

/*
 * Idle pool workers' stacks can be what fills the address space (issue 10 item 11: --workers 5000
 * under ulimit -v 120000). Here memory is refused from the first article on, with no article
 * running, until `joins` threads have been joined -- as if joining a worker gave its stack back.
 * One run in pool mode with 4 workers; returns its results and statistics.
 */
static void run_with_idle_workers_holding_memory(const fixture *f, size_t joins,
                                                 np_pipeline_results *kept, np_run_stats *stats)
{
    size_t setup, per_article;
    count_allocations(f, NP_MODE_POOL, &setup, &per_article);
    np_pipeline_config config = pressure_config(NP_MODE_POOL);
    config.progress = NULL;
    np_source *source = np_source_from_list(&f->list);
    assert_non_null(source);
    char err[256] = "";
    atomic_store(&threads_created, 0);
    atomic_store(&threads_joined, 0);
    atomic_store(&armed_joins, joins);
    arm(FAIL_UNTIL_JOINED, setup + 1);
    assert_int_equal(np_pipeline_run(source, &config, kept, stats, err, sizeof(err)), 0);
    disarm();
    np_source_close(source);
    assert_int_equal(atomic_load(&threads_created), atomic_load(&threads_joined));
    check_each_article_once(kept);
    assert_int_equal(stats->threads_started, 4); /* run.workers: the workers that started */
}

/*
 * Memory refused while only idle workers exist: the dispatcher retires workers one at a time
 * (each joined, its stack given back) and tries again; once memory comes back every article
 * completes, on the workers left. No article fails.
 */
static void
test_memory_refused_with_only_idle_workers_retires_workers_until_articles_run(void **state)
{
    (void)state;
    fixture *f = make_articles();
    np_pipeline_results kept;
    np_run_stats stats;
    run_with_idle_workers_holding_memory(f, 2, &kept, &stats);
    for (size_t i = 0; i < ARTICLES; i++)
        if (kept.results[i].status != NP_STATUS_OK)
            fail_msg("article %zu %s (%s): idle workers were not retired to free memory", i,
                     np_status_name(kept.results[i].status), kept.results[i].error);
    assert_int_equal(stats.status_count[NP_STATUS_OK], ARTICLES);
    assert_int_equal(stats.retired_workers, 2);
    assert_int_equal(stats.memory_retries, 2);
    np_pipeline_results_free(&kept);
    free_fixture(f);
}

/*
 * Memory refused for good with only idle workers: all workers but one are retired, and only then,
 * with nothing running and one worker left, does each article fail with "out of memory". The run
 * ends (no hang) with every article once and every thread joined.
 */
static void
test_memory_refused_for_good_retires_all_but_one_worker_then_fails_articles(void **state)
{
    (void)state;
    fixture *f = make_articles();
    np_pipeline_results kept;
    np_run_stats stats;
    run_with_idle_workers_holding_memory(f, SIZE_MAX, &kept, &stats);
    for (size_t i = 0; i < ARTICLES; i++) {
        assert_int_equal(kept.results[i].status, NP_STATUS_FAILED);
        assert_string_equal(kept.results[i].error, "out of memory");
    }
    assert_int_equal(stats.retired_workers, 3);
    np_pipeline_results_free(&kept);
    free_fixture(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_loader_reports_out_of_memory_at_every_allocation,
                                        install_hooks, remove_hooks),
        cmocka_unit_test_setup_teardown(
            test_loader_explaining_an_error_reports_out_of_memory_not_another_error, install_hooks,
            remove_hooks),
        cmocka_unit_test_setup_teardown(test_loader_reports_out_of_memory_at_every_arena_block,
                                        install_hooks, remove_hooks),
        cmocka_unit_test_setup_teardown(test_load_file_reports_out_of_memory_at_every_allocation,
                                        install_hooks, remove_hooks),
        cmocka_unit_test_setup_teardown(
            test_ndjson_object_parse_reports_out_of_memory_at_every_allocation, install_hooks,
            remove_hooks),
        cmocka_unit_test_setup_teardown(
            test_ndjson_source_reports_out_of_memory_at_every_allocation, install_hooks,
            remove_hooks),
        cmocka_unit_test_setup_teardown(
            test_pipeline_survives_any_one_failed_allocation_in_every_mode, install_hooks,
            remove_hooks),
        cmocka_unit_test_setup_teardown(
            test_pipeline_survives_every_allocation_failing_from_k_on_in_every_mode, install_hooks,
            remove_hooks),
        cmocka_unit_test_setup_teardown(
            test_collector_storage_failure_fails_the_run_with_a_clear_error, install_hooks,
            remove_hooks),
        cmocka_unit_test_setup_teardown(
            test_memory_refused_while_articles_run_waits_and_loses_nothing, install_hooks,
            remove_hooks),
        cmocka_unit_test_setup_teardown(test_memory_refused_with_nothing_running_fails_the_article,
                                        install_hooks, remove_hooks),
        cmocka_unit_test_setup_teardown(
            test_memory_refused_with_only_idle_workers_retires_workers_until_articles_run,
            install_hooks, remove_hooks),
        cmocka_unit_test_setup_teardown(
            test_memory_refused_for_good_retires_all_but_one_worker_then_fails_articles,
            install_hooks, remove_hooks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
