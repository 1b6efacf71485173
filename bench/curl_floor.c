/*
 * The floor for the openai backend's overhead (bench/backend_overhead.sh): N chat-completions
 * POSTs on one reused libcurl easy handle, nothing else -- no pipeline, no pool, no parsing. The
 * bodies are the two requests (summarization, sentiment) the backend sends for each article of
 * the input, in turn, so the server does the same work. Prints the wall time of the N calls in ns.
 *   curl_floor URL MODEL ARTICLES.json N
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

#include "np/chat_request.h"
#include "np/clock.h"
#include "np/loader.h"

static size_t discard(char *data, size_t size, size_t count, void *user)
{
    (void)data;
    (void)user;
    return size * count;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: curl_floor URL MODEL ARTICLES.json N\n");
        return 2;
    }
    long n = atol(argv[4]);
    np_article_list list = {0};
    char err[512];
    if (np_loader_load_file(argv[3], &list, err, sizeof(err)) != 0 || list.count == 0) {
        fprintf(stderr, "curl_floor: %s\n", err);
        return 2;
    }
    np_chat_settings settings = {.model = argv[2], .max_tokens = {256, 64}, .seed = 1};
    size_t count = 2 * list.count;
    char **bodies = calloc(count, sizeof(*bodies));
    size_t *lens = calloc(count, sizeof(*lens));
    for (size_t i = 0; bodies && lens && i < count; i++)
        bodies[i] =
            np_chat_request_body(&settings, &list.items[i / 2], (np_stage)(i % 2), i % 2, &lens[i]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *e = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(e, CURLOPT_URL, argv[1]);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    int failed = 0;
    long long start = np_clock_now_ns();
    for (long i = 0; i < n && !failed; i++) {
        size_t k = (size_t)i % count;
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, bodies[k]);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)lens[k]);
        failed = !bodies[k] || curl_easy_perform(e) != CURLE_OK;
    }
    long long wall = np_clock_now_ns() - start;
    curl_slist_free_all(headers);
    curl_easy_cleanup(e);
    curl_global_cleanup();
    for (size_t i = 0; bodies && i < count; i++)
        free(bodies[i]);
    free(bodies);
    free(lens);
    np_article_list_free(&list);
    if (failed) {
        fprintf(stderr, "curl_floor: a request failed\n");
        return 1;
    }
    printf("%lld\n", wall);
    return 0;
}
