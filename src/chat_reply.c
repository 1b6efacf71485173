/*
 * Reading chat-completions replies (np/chat_reply.h) with the in-place JSON reader.
 */
#include "np/chat_reply.h"

#include <stdio.h>
#include <string.h>

#include "np/json_scan.h"

static void read_usage(const char *object, const char *end, np_chat_usage *usage)
{
    const char *u = np_json_member(object, end, "usage");
    if (!u || *u != '{')
        return;
    double v;
    const char *p = np_json_member(u, end, "prompt_tokens");
    if (p && np_json_number(p, end, &v) == 0 && v >= 0 && v <= UINT32_MAX)
        usage->prompt_tokens = (uint32_t)v;
    p = np_json_member(u, end, "completion_tokens");
    if (p && np_json_number(p, end, &v) == 0 && v >= 0 && v <= UINT32_MAX)
        usage->completion_tokens = (uint32_t)v;
    usage->seen = 1;
}

int np_chat_reply_text(const char *body, size_t len, char *text, size_t cap, size_t *text_len,
                       np_chat_usage *usage)
{
    const char *end = body + len;
    if (!np_json_valid(body, end))
        return -1;
    read_usage(body, end, usage);
    const char *choices = np_json_member(body, end, "choices");
    const char *first = choices ? np_json_first(choices, end) : NULL;
    const char *message = first ? np_json_member(first, end, "message") : NULL;
    const char *content = message ? np_json_member(message, end, "content") : NULL;
    if (!content)
        return -1;
    return np_json_string(content, end, text, cap, text_len);
}

int np_chat_chunk(const char *data, size_t len, char *text, size_t cap, size_t *text_len,
                  int *got_text, np_chat_usage *usage)
{
    const char *end = data + len;
    *got_text = 0;
    const char *p = np_json_skip_space(data, end);
    if ((size_t)(end - p) >= 6 && memcmp(p, "[DONE]", 6) == 0 &&
        np_json_skip_space(p + 6, end) == end)
        return 1;
    if (!np_json_valid(data, end))
        return -1;
    read_usage(data, end, usage);
    const char *choices = np_json_member(data, end, "choices");
    const char *first = choices ? np_json_first(choices, end) : NULL;
    const char *delta = first ? np_json_member(first, end, "delta") : NULL;
    const char *content = delta ? np_json_member(delta, end, "content") : NULL;
    if (!content || *content != '"')
        return 0; /* a role announcement, a finish reason, the usage chunk, or content: null */
    size_t piece = 0;
    if (np_json_string(content, end, text + *text_len, cap - *text_len, &piece) != 0)
        return -1;
    *text_len += piece;
    *got_text = piece > 0;
    return 0;
}

int np_chat_sentiment(const char *text, size_t len, np_sentiment *out)
{
    const char *object_end;
    const char *object = np_json_find_object(text, len, &object_end);
    if (!object)
        return -1;
    const char *label = np_json_member(object, object_end, "label");
    const char *score = np_json_member(object, object_end, "score");
    char name[16];
    size_t name_len;
    double value;
    if (!label || !score || np_json_string(label, object_end, name, sizeof(name), &name_len) != 0 ||
        np_json_number(score, object_end, &value) != 0 || value < -1 || value > 1)
        return -1;
    for (int l = 0; l < NP_SENTIMENT_COUNT; l++) {
        if (strcmp(name, np_sentiment_label_name((np_sentiment_label)l)) == 0) {
            out->label = (np_sentiment_label)l;
            out->score = value;
            return 0;
        }
    }
    return -1;
}

/* Days from 1970-01-01 to the given proleptic Gregorian date (month 1..12). */
static long long days_from_civil(long long year, int month, int day)
{
    year -= month <= 2;
    long long era = (year >= 0 ? year : year - 399) / 400;
    long long year_of_era = year - era * 400;
    int shifted_month = month > 2 ? month - 3 : month + 9;
    long long day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    long long day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

/*
 * An HTTP date in any of RFC 9110's three forms -- "Sun, 06 Nov 1994 08:49:37 GMT", the obsolete
 * "Sunday, 06-Nov-94 08:49:37 GMT" and asctime's "Sun Nov  6 08:49:37 1994" -- as seconds since
 * the epoch, or -1. Parsed here rather than with strptime, whose day and month names follow
 * the locale.
 */
static long long http_date_seconds(const char *date)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char month_name[4] = "";
    int day = 0, year = 0, hour = 0, minute = 0, second = 0, used = -1;
    size_t len = strlen(date);
    /* Every number has a width (%2d, %4d), so none can overflow: sscanf's lack of range errors
     * (cert-err34-c) cannot bite here. */
    // NOLINTNEXTLINE(cert-err34-c)
    if (sscanf(date, "%*[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", &day, month_name, &year,
               &hour, &minute, &second, &used) != 6 ||
        (size_t)used != len) {
        used = -1;
        // NOLINTNEXTLINE(cert-err34-c)
        if (sscanf(date, "%*[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d GMT%n", &day, month_name,
                   &year, &hour, &minute, &second, &used) == 6 &&
            (size_t)used == len) {
            year += year < 70 ? 2000 : 1900; /* a two-digit year, read as RFC 9110 asks */
        } else {
            used = -1;
            // NOLINTNEXTLINE(cert-err34-c)
            if (sscanf(date, "%*[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", month_name, &day, &hour,
                       &minute, &second, &year, &used) != 6 ||
                (size_t)used != len)
                return -1;
        }
    }
    const char *found = strlen(month_name) == 3 ? strstr(months, month_name) : NULL;
    if (!found || (found - months) % 3 != 0 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
        second > 60 || year < 1970)
        return -1;
    int month = (int)(found - months) / 3 + 1;
    return days_from_civil(year, month, day) * 86400 + hour * 3600LL + minute * 60LL + second;
}

long long np_chat_retry_after_ms(const char *value, time_t now_s)
{
    while (*value == ' ' || *value == '\t')
        value++;
    size_t n = strlen(value);
    while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t' || value[n - 1] == '\r' ||
                     value[n - 1] == '\n'))
        n--;
    if (n == 0)
        return -1;
    size_t digits = 0;
    while (digits < n && value[digits] >= '0' && value[digits] <= '9')
        digits++;
    if (digits == n) {
        if (n > 9)
            return 1000LL * 999999999; /* absurdly long: the caller caps it */
        long long seconds = 0;
        for (size_t i = 0; i < n; i++)
            seconds = seconds * 10 + (value[i] - '0');
        return seconds * 1000;
    }
    char date[64];
    if (n >= sizeof(date))
        return -1;
    memcpy(date, value, n);
    date[n] = '\0';
    long long when = http_date_seconds(date);
    if (when < 0)
        return -1;
    return when > (long long)now_s ? (when - (long long)now_s) * 1000 : 0;
}

int np_chat_mentions_response_format(const char *body, size_t len)
{
    static const char field[] = "response_format";
    size_t n = sizeof(field) - 1;
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(body + i, field, n) == 0)
            return 1;
    return 0;
}
