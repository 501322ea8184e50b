/*
 * N-API glue of the kernel watch's netlink reads (nft-watch.c): argument checks and
 * conversions only. Registered from addon.c's init (watch_register).
 */
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

#include "napi-util.h"
#include "nft-watch.h"
#include "watch-addon.h"

static napi_value fail(napi_env env, const char *msg) {
  napi_throw_error(env, "SP_ERR_FIREWALL", msg);
  return NULL;
}

/* argv[i] as a short string (names of namespaces, tables, chains, sets: < 64 bytes). */
static int short_str(napi_env env, napi_value v, char *out, size_t size) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, out, size, &len) != napi_ok || len >= size - 1) {
    napi_throw_type_error(env, NULL, "sipprot-native: expected a string shorter than 63 bytes");
    return -1;
  }
  return 0;
}

/* nftChainRules(netns, table, chain, set) -> { rules, lookups } | null (table or chain gone) */
static napi_value chain_rules_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  char s[4][64];
  if (get_args(env, info, 4, argv) != 0) return NULL;
  for (int i = 0; i < 4; i++)
    if (short_str(env, argv[i], s[i], sizeof s[i]) != 0) return NULL;
  nft_chain_rules_t r;
  char err[512] = "";
  int rc = nft_chain_rules(s[0], s[1], s[2], s[3], &r, err, sizeof err);
  if (rc < 0) return fail(env, err);
  napi_value out;
  if (rc == 1) {
    CHECK(napi_get_null(env, &out));
    return out;
  }
  CHECK(napi_create_object(env, &out));
  CHECK(set_num(env, out, "rules", (double)r.rules));
  CHECK(set_num(env, out, "lookups", (double)r.lookups));
  return out;
}

#define MAX_COUNTERS 64

/* nftCounters(netns, table) -> [{ name, packets, bytes }] */
static napi_value counters_js(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char netns[64], table[64];
  if (get_args(env, info, 2, argv) != 0 || short_str(env, argv[0], netns, sizeof netns) != 0 ||
      short_str(env, argv[1], table, sizeof table) != 0)
    return NULL;
  nft_counter_t c[MAX_COUNTERS];
  char err[512] = "";
  int n = nft_counters(netns, table, c, MAX_COUNTERS, err, sizeof err);
  if (n < 0) return fail(env, err);
  napi_value out;
  CHECK(napi_create_array_with_length(env, (size_t)n, &out));
  for (int i = 0; i < n; i++) {
    napi_value o, name;
    CHECK(napi_create_object(env, &o));
    CHECK(napi_create_string_utf8(env, c[i].name, NAPI_AUTO_LENGTH, &name));
    CHECK(napi_set_named_property(env, o, "name", name));
    CHECK(set_num(env, o, "packets", (double)c[i].packets));
    CHECK(set_num(env, o, "bytes", (double)c[i].bytes));
    CHECK(napi_set_element(env, out, (uint32_t)i, o));
  }
  return out;
}

typedef struct {
  nft_watch_t *w;
  napi_threadsafe_function fn;
} watch_handle_t;

/* On the watch thread: hand the bits to JS. A full queue drops them: a report is already
 * waiting, and the check it starts looks at the whole table anyway. */
static void on_bits(void *ctx, unsigned bits) {
  watch_handle_t *h = ctx;
  napi_call_threadsafe_function(h->fn, (void *)(uintptr_t)bits, napi_tsfn_nonblocking);
}

static void call_js(napi_env env, napi_value cb, void *context, void *data) {
  if (env == NULL || cb == NULL) return;
  napi_value undefined, bits;
  if (napi_get_undefined(env, &undefined) != napi_ok ||
      napi_create_uint32(env, (uint32_t)(uintptr_t)data, &bits) != napi_ok)
    return;
  napi_call_function(env, undefined, cb, 1, &bits, NULL);
}

static void close_handle(watch_handle_t *h) {
  if (h->w != NULL) nft_watch_stop(h->w); /* joins the thread: no call after this */
  h->w = NULL;
  if (h->fn != NULL) napi_release_threadsafe_function(h->fn, napi_tsfn_release);
  h->fn = NULL;
}

static void finalize_watch(napi_env env, void *data, void *hint) {
  close_handle(data);
  free(data);
}

/* nftWatchStart(netns, table, onBits) -> handle; onBits(bits) on the JS thread. */
static napi_value watch_start_js(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  char netns[64], table[64];
  if (get_args(env, info, 3, argv) != 0 || short_str(env, argv[0], netns, sizeof netns) != 0 ||
      short_str(env, argv[1], table, sizeof table) != 0)
    return NULL;
  watch_handle_t *h = calloc(1, sizeof *h);
  if (h == NULL) return fail(env, "out of memory");
  napi_value name;
  CHECK(napi_create_string_utf8(env, "sipprot-nft-watch", NAPI_AUTO_LENGTH, &name));
  if (napi_create_threadsafe_function(env, argv[2], NULL, name, 16, 1, NULL, NULL, NULL, call_js, &h->fn) !=
      napi_ok) {
    free(h);
    return fail(env, "cannot create the watch's callback");
  }
  /* The watch must not keep the process alive. */
  napi_unref_threadsafe_function(env, h->fn);
  char err[512] = "";
  h->w = nft_watch_start(netns, table, on_bits, h, err, sizeof err);
  if (h->w == NULL) {
    close_handle(h);
    free(h);
    return fail(env, err);
  }
  napi_value out;
  if (napi_create_external(env, h, finalize_watch, NULL, &out) != napi_ok) {
    close_handle(h);
    free(h);
    return fail(env, "cannot wrap the watch");
  }
  return out;
}

static watch_handle_t *handle_of(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "sipprot-native: not a watch handle");
    return NULL;
  }
  return data;
}

/* nftWatchStop(handle): joins the thread; safe twice. */
static napi_value watch_stop_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv) != 0) return NULL;
  watch_handle_t *h = handle_of(env, argv[0]);
  if (h != NULL) close_handle(h);
  return NULL;
}

/* nftWatchStats(handle) -> { messages, elements, reported, overruns } (zeros once stopped) */
static napi_value watch_stats_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv) != 0) return NULL;
  watch_handle_t *h = handle_of(env, argv[0]);
  if (h == NULL) return NULL;
  nft_watch_stats_t s;
  memset(&s, 0, sizeof s);
  if (h->w != NULL) nft_watch_stats(h->w, &s);
  napi_value out;
  CHECK(napi_create_object(env, &out));
  CHECK(set_num(env, out, "messages", (double)s.messages));
  CHECK(set_num(env, out, "elements", (double)s.elements));
  CHECK(set_num(env, out, "reported", (double)s.reported));
  CHECK(set_num(env, out, "overruns", (double)s.overruns));
  return out;
}

napi_status watch_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"nftChainRules", NULL, chain_rules_js, NULL, NULL, NULL, napi_default, NULL},
      {"nftCounters", NULL, counters_js, NULL, NULL, NULL, napi_default, NULL},
      {"nftWatchStart", NULL, watch_start_js, NULL, NULL, NULL, napi_default, NULL},
      {"nftWatchStop", NULL, watch_stop_js, NULL, NULL, NULL, napi_default, NULL},
      {"nftWatchStats", NULL, watch_stats_js, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
