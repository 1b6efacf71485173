/*
 * gen_articles: a deterministic generator of synthetic news articles, for benchmarks and tests of
 * news-processor at scale (millions of articles, where hand-written data runs out).
 *
 *     gen_articles [--ndjson] [--seed S] N
 *
 * writes N articles {"id": 1..N, "title": "...", "content": "..."} to stdout, as a JSON array with
 * one article per line (the default) or as NDJSON (one article per line, nothing else).
 *
 * Design:
 * - Content is English news prose of 550..650 bytes, assembled from sentence templates whose
 *   "$X" slots are filled from constant tables (organisations, people, places, numbers, quotes).
 *   Each article has a tone (positive, negative or neutral) that most of its sentences follow,
 *   with some sentences of other moods mixed in, so sentiment varies across and within articles.
 *   Sentences are added until a random target length is reached; a sentence that would pass the
 *   650-byte cap is replaced by another, and at worst by a short closing sentence. Since every
 *   closer is at most 100 bytes, one always fits while the content is under 550 bytes, so every
 *   content lands in [550, 650].
 * - Output is pure ASCII. The tables contain no '"', '\\' or control characters; the only quote
 *   marks come from the "$\"" slot, which writes the escaped form \", so nothing needs escaping.
 * - Deterministic: one splitmix64 stream seeded from S (default 42) drives every choice, and each
 *   article draws from it the same way whatever N is, so the same seed gives byte-identical output
 *   and a run with a larger N extends a run with a smaller one.
 * - Fast: articles are formatted with memcpy into a 1 MiB buffer that is written with fwrite.
 *
 * Exit status: 0 on success, 1 when writing fails or memory runs out, 2 on bad arguments.
 * Single-threaded; no mutable state outside main's stack and the output buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM "gen_articles"
#define USAGE   "usage: " PROGRAM " [--ndjson] [--seed S] N\n"

#define MAX_ARTICLES    100000000ULL
#define DEFAULT_SEED    42ULL
#define CONTENT_MIN     550 /* every content is at least this many bytes... */
#define CONTENT_MAX     650 /* ...and at most this many */
#define TARGET_SPREAD   31  /* the target length is CONTENT_MIN + [0, TARGET_SPREAD) */
#define SENTENCE_TRIES  6   /* templates tried before falling back to a closer */
#define OTHER_MOOD_PCT  30  /* percent of sentences whose mood ignores the article's tone */
#define MAX_SLOT_DEPTH  3   /* table entries may hold slots; this bounds the nesting */
#define OUT_BUFFER_SIZE (1u << 20)

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum gen_exit { GEN_EXIT_OK = 0, GEN_EXIT_FAILURE = 1, GEN_EXIT_USAGE = 2 };

enum mood { MOOD_POSITIVE, MOOD_NEGATIVE, MOOD_NEUTRAL, MOOD_COUNT };

struct table {
    const char *const *items;
    size_t count;
};

#define TABLE(a)                                                                                   \
    {                                                                                              \
        (a), COUNT(a)                                                                              \
    }

/* ---- Word and phrase tables (no '"', '\\' or control characters: see the design note). ---- */

static const char *const orgs[] = {
    "Harbor Foods",       "Carver Motors",      "NetLine",
    "Bluewater Capital",  "Eastgate Council",   "Summit Energy",
    "Orbital Dynamics",   "Greenway Rail",      "Atlas Bank",
    "Redwood Pharma",     "Pioneer Airlines",   "Lakeside Hospital",
    "Meridian Steel",     "Brightwater Retail", "Northfield University",
    "Silverline Telecom",
};

static const char *const people[] = {
    "Maria Lopez", "Dr. Helen Park",  "James Ortiz",    "Prof. Anika Shah",
    "Tom Reyes",   "Dr. Samuel Osei", "Linda Okafor",   "Mr. Peter Grant",
    "Sarah Kim",   "David Novak",     "Ms. Laura Chen", "Ahmed Karim",
};

static const char *const roles[] = {
    "a spokesperson for $O",           "the mayor of $C",      "a senior analyst at $O",
    "the chief executive of $O",       "a local resident",     "a researcher at $O",
    "the head of the $C fire service", "a union leader in $C", "a member of the $C council",
};

static const char *const places[] = {
    "Riverton", "Eastgate", "Northfield", "Port Ellis", "Maple Grove", "Kesra",
    "Lakeside", "Dunmore",  "Springvale", "Westbrook",  "Ashford",     "Granite Falls",
};

static const char *const days[] = {
    "on Monday",   "on Tuesday", "on Wednesday", "on Thursday",        "on Friday",
    "on Saturday", "on Sunday",  "last week",    "earlier this month", "on Friday evening",
};

static const char *const times[] = {
    "9 a.m.", "10:30 a.m.", "noon", "2 p.m.", "6:30 p.m.", "7 p.m.",
};

static const char *const months[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December",
};

static const char *const quotes_positive[] = {
    "This is a wonderful day for everyone in $C,",
    "We are proud of what our team has achieved,",
    "The results are better than we ever hoped,",
    "It is a great success and a reason to celebrate,",
    "Is there a better way to start the year? I don't think so,",
};

static const char *const quotes_negative[] = {
    "We have lost everything,",
    "This is a terrible blow to our community,",
    "How could this happen again?",
    "Families are angry and afraid,",
    "The damage is worse than we feared,",
};

static const char *const quotes_neutral[] = {
    "The meeting is open to the public,",
    "We will review the data and decide next month,",
    "Details will be published on our website,",
    "Nothing has changed for now,",
};

/*
 * Sentence templates. Slots: $O organisation, $P person, $R role, $C place, $D day, $T time,
 * $W month, $n day of month, $N small count, $K count in thousands, $M money, $S small sum,
 * $Q percentage, $I interest rate, $Y year, $p/$m/$z positive/negative/neutral quotation (with
 * its closing punctuation), $" an escaped quote mark.
 */
static const char *const sentences_positive[] = {
    "$O reported a record profit of $M $D, helped by strong growth in $C.",
    "Shares in $O rose $Q after the company raised its forecast for the year.",
    "Researchers at $O announced a breakthrough in the treatment of a rare heart disease.",
    "Residents of $C celebrated $D as the new bridge opened ahead of schedule and under budget.",
    "Rescue teams brought all $N trapped miners to safety near $C, to the joy of their families.",
    "$O won the national championship $D with a thrilling victory in the final.",
    "The launch of the new satellite by $O was a complete success, engineers said.",
    "Sales at $O grew $Q in the quarter, the best result in $N years.",
    "$O will hire $K new workers in $C as demand for its products continues to improve.",
    "$\"$p$\" said $P, $R.",
    "Local businesses praised the plan and said it would bring new jobs and investment to $C.",
    "Volunteers helped raise $S for the children's hospital in $C, beating their goal.",
    "Unemployment in $C fell to $Q, its lowest level since $Y.",
    "$P, $R, said the results were excellent and gave real hope for the future.",
};

static const char *const sentences_negative[] = {
    "$O announced $K layoffs $D after reporting heavy losses for the third year in a row.",
    "At least $N people were killed and dozens injured when an earthquake struck near $C.",
    "Floodwaters destroyed homes and farmland across $C, forcing $K residents to flee.",
    "Prosecutors accused $O of fraud, saying investors lost $M in the scheme.",
    "Hackers stole the personal data of $K customers in a breach at $O, the company admitted $D.",
    "Shares in $O fell $Q after the company warned that the crisis would deepen.",
    "$\"$m$\" said $P, $R.",
    "The scandal has led to angry protests outside the offices of $O in $C.",
    "A fire destroyed a warehouse in $C $D, causing damage estimated at $M.",
    "Officials in $C warned of severe shortages of food and clean water.",
    "$O has failed to pay its suppliers, and $N stores are expected to close.",
    "Unemployment in $C rose to $Q, the worst level since $Y.",
    "$P, $R, said the collapse had left many families in crisis.",
};

static const char *const sentences_neutral[] = {
    "The council will meet $D at $T in the main hall of $C City Hall.",
    "The central bank kept its benchmark interest rate unchanged at $I, as most economists had "
    "expected.",
    "The election will be held on $W $n, and polling stations will open at $T on the day.",
    "The road between $C and the airport will be closed from $W $n while crews replace a water "
    "main.",
    "The museum in $C will be open from 10 a.m. to 5 p.m., Tuesday through Sunday.",
    "$O said it would publish its annual report on $W $n.",
    "The committee is expected to discuss the budget for $Y at its next meeting.",
    "$\"$z$\" said $P, $R.",
    "According to the U.S. Census Bureau, the population of $C is about $K.",
    "The proposal will be reviewed by $N members of the planning committee.",
    "$P, $R, said the schedule would be posted on the city website.",
    "The new timetable takes effect on $W $n, $O said $D.",
    "Residents may submit written comments until $W $n.",
};

/* Closing sentences: each at most 100 bytes, so one always fits below CONTENT_MIN. */
static const char *const closers_positive[] = {
    "Celebrations continued late into the night.",
    "The outlook for next year is bright.",
    "Officials called it a historic success.",
};

static const char *const closers_negative[] = {
    "Many families have lost everything.",
    "An inquiry is expected to follow.",
    "The death toll is likely to rise.",
};

static const char *const closers_neutral[] = {
    "Further details will be published later.",
    "The decision takes effect next month.",
    "Officials declined to comment further.",
};

static const char *const titles_positive[] = {
    "$O posts record profit",
    "$O celebrates strong growth in $C",
    "Breakthrough at $O brings new hope",
    "$N miners rescued alive near $C",
    "$O wins national championship",
    "$O satellite launch hailed as a success",
    "$C celebrates as new bridge opens",
};

static const char *const titles_negative[] = {
    "$O to cut $K jobs as losses mount",      "Earthquake near $C kills $N",
    "Floods destroy homes across $C",         "$O accused of $M fraud",
    "Data breach at $O exposes $K customers", "Crisis deepens in $C as shortages grow",
};

static const char *const titles_neutral[] = {
    "$C council sets meeting schedule",  "Central bank holds interest rate at $I",
    "Election date set for $W $n",       "Road closure planned in $C",
    "$C museum announces opening hours", "$O to publish annual report",
};

static const struct table sentence_tables[MOOD_COUNT] = {
    TABLE(sentences_positive), TABLE(sentences_negative), TABLE(sentences_neutral)};
static const struct table closer_tables[MOOD_COUNT] = {
    TABLE(closers_positive), TABLE(closers_negative), TABLE(closers_neutral)};
static const struct table title_tables[MOOD_COUNT] = {
    TABLE(titles_positive), TABLE(titles_negative), TABLE(titles_neutral)};

/* ---- Random numbers: splitmix64, one stream per run. ---- */

struct rng {
    uint64_t state;
};

static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A number in [0, n), n < 2^32 (multiply-shift; the tiny bias does not matter here). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

static const char *rng_pick(struct rng *r, const char *const *items, size_t count)
{
    return items[rng_below(r, (uint32_t)count)];
}

#define PICK(r, a) rng_pick((r), (a), COUNT(a))

/* ---- Bounded text buffers. ---- */

/* Writes past the end are dropped and set overflow; callers discard an overflowed text. */
struct text {
    size_t len;
    int overflow;
    char buf[1024];
};

static void put_mem(struct text *t, const char *s, size_t n)
{
    if (n > sizeof t->buf - t->len) {
        t->overflow = 1;
        return;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
}

static void put_str(struct text *t, const char *s)
{
    put_mem(t, s, strlen(s));
}

static void put_uint(struct text *t, uint64_t v)
{
    char digits[20];
    size_t i = sizeof digits;

    do {
        digits[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put_mem(t, digits + i, sizeof digits - i);
}

/* 1,000 .. 49,999 with a thousands separator. */
static void put_thousands(struct text *t, struct rng *r)
{
    uint32_t v = 1000 + rng_below(r, 49000);
    char low[3] = {(char)('0' + v % 1000 / 100), (char)('0' + v % 100 / 10), (char)('0' + v % 10)};

    put_uint(t, v / 1000);
    put_mem(t, ",", 1);
    put_mem(t, low, sizeof low);
}

/* "$4.2 million", "$310 million" or "$1.8 billion". */
static void put_money(struct text *t, struct rng *r)
{
    uint32_t kind = rng_below(r, 4);

    put_mem(t, "$", 1);
    if (kind == 0) {
        put_uint(t, 1 + rng_below(r, 9));
        put_mem(t, ".", 1);
        put_uint(t, rng_below(r, 10));
        put_str(t, " billion");
    } else if (kind == 1) {
        put_uint(t, 1 + rng_below(r, 99));
        put_mem(t, ".", 1);
        put_uint(t, rng_below(r, 10));
        put_str(t, " million");
    } else {
        put_uint(t, 10 + rng_below(r, 990));
        put_str(t, " million");
    }
}

/* "3.5%" or "12%". */
static void put_percent(struct text *t, struct rng *r)
{
    put_uint(t, 1 + rng_below(r, 19));
    if (rng_below(r, 2)) {
        put_mem(t, ".", 1);
        put_uint(t, 1 + rng_below(r, 9));
    }
    put_mem(t, "%", 1);
}

/* An interest rate in quarter points: "1%" .. "6.75%". */
static void put_rate(struct text *t, struct rng *r)
{
    static const char *const fractions[] = {"%", ".25%", ".5%", ".75%"};

    put_uint(t, 1 + rng_below(r, 6));
    put_str(t, PICK(r, fractions));
}

static void expand(struct text *t, struct rng *r, const char *tmpl, int depth);

static void expand_slot(struct text *t, struct rng *r, char slot, int depth)
{
    switch (slot) {
    case 'O':
        put_str(t, PICK(r, orgs));
        break;
    case 'P':
        put_str(t, PICK(r, people));
        break;
    case 'R':
        expand(t, r, PICK(r, roles), depth + 1);
        break;
    case 'C':
        put_str(t, PICK(r, places));
        break;
    case 'D':
        put_str(t, PICK(r, days));
        break;
    case 'T':
        put_str(t, PICK(r, times));
        break;
    case 'W':
        put_str(t, PICK(r, months));
        break;
    case 'n':
        put_uint(t, 1 + rng_below(r, 28));
        break;
    case 'N':
        put_uint(t, 2 + rng_below(r, 94));
        break;
    case 'K':
        put_thousands(t, r);
        break;
    case 'M':
        put_money(t, r);
        break;
    case 'Q':
        put_percent(t, r);
        break;
    case 'I':
        put_rate(t, r);
        break;
    case 'S':
        put_mem(t, "$", 1);
        put_uint(t, 5 + rng_below(r, 991));
        put_str(t, ",000");
        break;
    case 'Y':
        put_uint(t, 1995 + rng_below(r, 30));
        break;
    case 'p':
        expand(t, r, PICK(r, quotes_positive), depth + 1);
        break;
    case 'm':
        expand(t, r, PICK(r, quotes_negative), depth + 1);
        break;
    case 'z':
        expand(t, r, PICK(r, quotes_neutral), depth + 1);
        break;
    case '"':
        put_mem(t, "\\\"", 2);
        break;
    default: /* an unknown slot is a table bug: keep it visible but harmless */
        put_mem(t, "$", 1);
        put_mem(t, &slot, 1);
        break;
    }
}

/* Appends tmpl with each "$X" slot filled in; a '$' at the very end is copied as is. */
static void expand(struct text *t, struct rng *r, const char *tmpl, int depth)
{
    if (depth > MAX_SLOT_DEPTH) {
        t->overflow = 1;
        return;
    }
    for (;;) {
        const char *dollar = strchr(tmpl, '$');

        if (dollar == NULL || dollar[1] == '\0') {
            put_str(t, tmpl);
            return;
        }
        put_mem(t, tmpl, (size_t)(dollar - tmpl));
        expand_slot(t, r, dollar[1], depth);
        tmpl = dollar + 2;
    }
}

/* Appends sentence s to content (space-separated) if the result stays within CONTENT_MAX. */
static int append_sentence(struct text *content, const struct text *s)
{
    size_t sep = content->len > 0;

    if (s->overflow || s->len == 0 || content->len + sep + s->len > CONTENT_MAX)
        return 0;
    put_mem(content, " ", sep);
    put_mem(content, s->buf, s->len);
    return 1;
}

static enum mood pick_mood(struct rng *r, enum mood tone)
{
    if (rng_below(r, 100) < OTHER_MOOD_PCT)
        return (enum mood)rng_below(r, MOOD_COUNT);
    return tone;
}

static void make_content(struct text *content, struct rng *r, enum mood tone)
{
    size_t target = CONTENT_MIN + rng_below(r, TARGET_SPREAD);
    uint64_t used[MOOD_COUNT] = {0}; /* templates already in this article, one bit each */
    struct text s;

    content->len = 0;
    content->overflow = 0;
    while (content->len < target) {
        int appended = 0;

        for (int tries = 0; tries < SENTENCE_TRIES && !appended; tries++) {
            enum mood mood = pick_mood(r, tone);
            const struct table *tab = &sentence_tables[mood];
            uint32_t i = rng_below(r, (uint32_t)tab->count);

            if (used[mood] >> (i % 64) & 1)
                continue;
            s.len = 0;
            s.overflow = 0;
            expand(&s, r, tab->items[i], 0);
            appended = append_sentence(content, &s);
            if (appended)
                used[mood] |= (uint64_t)1 << (i % 64);
        }
        if (!appended) {
            const struct table *tab = &closer_tables[tone];

            s.len = 0;
            s.overflow = 0;
            put_str(&s, rng_pick(r, tab->items, tab->count));
            if (!append_sentence(content, &s))
                break; /* only possible at or above CONTENT_MIN */
        }
    }
}

/* ---- Buffered output. ---- */

struct out {
    FILE *fp;
    char *buf;
    size_t len;
    size_t cap;
    int failed;
};

static void out_flush(struct out *o)
{
    if (o->len > 0 && !o->failed && fwrite(o->buf, 1, o->len, o->fp) != o->len)
        o->failed = 1;
    o->len = 0;
}

static void out_mem(struct out *o, const char *s, size_t n)
{
    if (n > o->cap - o->len)
        out_flush(o);
    if (n > o->cap) {
        if (!o->failed && fwrite(s, 1, n, o->fp) != n)
            o->failed = 1;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_str(struct out *o, const char *s)
{
    out_mem(o, s, strlen(s));
}

static void write_article(struct out *o, struct rng *r, uint64_t id, int ndjson)
{
    enum mood tone = (enum mood)rng_below(r, MOOD_COUNT);
    const struct table *tab = &title_tables[tone];
    struct text head, title, content;

    title.len = 0;
    title.overflow = 0;
    expand(&title, r, rng_pick(r, tab->items, tab->count), 0);
    make_content(&content, r, tone);

    head.len = 0;
    head.overflow = 0;
    if (!ndjson && id > 1)
        put_mem(&head, ",\n", 2);
    put_str(&head, "{\"id\": ");
    put_uint(&head, id);
    put_str(&head, ", \"title\": \"");

    out_mem(o, head.buf, head.len);
    out_mem(o, title.buf, title.len);
    out_str(o, "\", \"content\": \"");
    out_mem(o, content.buf, content.len);
    out_str(o, ndjson ? "\"}\n" : "\"}");
}

/* ---- Command line. ---- */

/* Parses a decimal integer in [0, max]: digits only, no sign, no spaces. 0 on success. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        unsigned d = (unsigned)(*s - '0');

        if (*s < '0' || *s > '9' || v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Reports a bad command line: the message, then the usage. Returns the exit status to use. */
static int usage_error(const char *message, const char *arg)
{
    fprintf(stderr, PROGRAM ": %s", message);
    if (arg != NULL)
        fprintf(stderr, ": '%s'", arg);
    fputs("\n" USAGE "Try '" PROGRAM " --help' for more information.\n", stderr);
    return GEN_EXIT_USAGE;
}

static void print_help(void)
{
    fputs(USAGE
          "\n"
          "Writes N (0 to 100000000) synthetic news articles {\"id\", \"title\", \"content\"} to\n"
          "stdout, as a JSON array with one article per line. The same N and seed always give\n"
          "the same bytes.\n"
          "\n"
          "  --ndjson   write one JSON object per line instead of an array\n"
          "  --seed S   seed the generator with S (0 to 2^64-1, default 42)\n"
          "  --help     print this help and exit\n"
          "\n"
          "Exit status: 0 success, 1 write error or out of memory, 2 bad arguments.\n",
          stdout);
}

int main(int argc, char **argv)
{
    uint64_t count = 0, seed = DEFAULT_SEED;
    int have_count = 0, ndjson = 0, options_done = 0;
    struct out o = {stdout, NULL, 0, OUT_BUFFER_SIZE, 0};
    struct rng r;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];

        /* "-5" is a bad count, not an unknown option. */
        if (!options_done && arg[0] == '-' && arg[1] != '\0' && !(arg[1] >= '0' && arg[1] <= '9')) {
            if (strcmp(arg, "--") == 0) {
                options_done = 1;
            } else if (strcmp(arg, "--ndjson") == 0) {
                ndjson = 1;
            } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
                print_help();
                return fclose(stdout) == 0 ? GEN_EXIT_OK : GEN_EXIT_FAILURE;
            } else if (strcmp(arg, "--seed") == 0 || strncmp(arg, "--seed=", 7) == 0) {
                const char *value = arg[6] == '=' ? arg + 7 : argv[++i];

                if (value == NULL)
                    return usage_error("option '--seed' needs a value", NULL);
                if (parse_u64(value, UINT64_MAX, &seed) != 0)
                    return usage_error("invalid seed (expected an integer 0 to 2^64-1)", value);
            } else {
                return usage_error("unknown option", arg);
            }
        } else if (have_count) {
            return usage_error("unexpected argument", arg);
        } else {
            if (parse_u64(arg, MAX_ARTICLES, &count) != 0)
                return usage_error("invalid article count (expected an integer 0 to 100000000)",
                                   arg);
            have_count = 1;
        }
    }
    if (!have_count)
        return usage_error("missing article count N", NULL);

    o.buf = malloc(o.cap);
    if (o.buf == NULL) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        return GEN_EXIT_FAILURE;
    }
    r.state = seed;

    if (!ndjson)
        out_str(&o, count > 0 ? "[\n" : "[]\n");
    for (uint64_t id = 1; id <= count && !o.failed; id++)
        write_article(&o, &r, id, ndjson);
    if (!ndjson && count > 0)
        out_str(&o, "\n]\n");
    out_flush(&o);
    free(o.buf);

    if (o.failed || ferror(stdout)) {
        fprintf(stderr, PROGRAM ": error writing output: %s\n", strerror(errno));
        fclose(stdout);
        return GEN_EXIT_FAILURE;
    }
    if (fclose(stdout) != 0) {
        fprintf(stderr, PROGRAM ": error writing output: %s\n", strerror(errno));
        return GEN_EXIT_FAILURE;
    }
    return GEN_EXIT_OK;
}
