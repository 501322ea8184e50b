/*
 * N-API glue of sipprot-native: argument checks and conversions only; the work is in
 * capture.c and nft.c. N-API (not V8/NAN) so the addon keeps working across Node versions.
 */
#include <node_api.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>
#include <string.h>

#include "capture.h"
#include "napi-util.h"
#include "nft-load-addon.h"
#include "nft.h"
#include "watch-addon.h"

/*
 * A capture's wake-up: the capture thread calls uv_async_send (thread-safe, lock-free,
 * coalescing: one eventfd write however often it is called before the loop runs); the
 * loop then calls the JS callback through napi_make_callback (microtasks and ticks run
 * after it, as for any I/O callback). The async handle is heap-allocated because
 * uv_close finishes on a later turn of the loop, possibly after the handle_t is freed.
 */
typedef struct {
  uv_async_t async;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
} wake_t;

typedef struct {
  capture_t *cap;
  wake_t *wake;
} handle_t;

static napi_value throw_msg(napi_env env, const char *msg) {
  napi_throw_error(env, "SP_ERR_CAPTURE", msg);
  return NULL;
}

static handle_t *get_handle(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "sipprot-native: not a capture handle");
    return NULL;
  }
  return (handle_t *)data;
}

/* On the capture thread. */
static void send_wake(void *arg) { uv_async_send(&((wake_t *)arg)->async); }

/* On the event loop: JS reads the ring. A throw goes to 'uncaughtException', as it would
 * from any I/O callback (live.ts catches what the pipeline throws before that). */
static void on_wake(uv_async_t *a) {
  wake_t *w = (wake_t *)a->data;
  if (w->callback == NULL) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, result;
  /* napi_make_callback wants an object as `this` (undefined throws a TypeError). */
  if (napi_get_reference_value(env, w->callback, &cb) == napi_ok && cb != NULL &&
      napi_get_global(env, &recv) == napi_ok &&
      napi_make_callback(env, w->context, recv, cb, 0, NULL, &result) != napi_ok) {
    bool pending = false;
    napi_value err;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
        napi_get_and_clear_last_exception(env, &err) == napi_ok)
      napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void free_wake(uv_handle_t *a) { free(a->data); }

/* After the capture thread has stopped (no more uv_async_send): drops the JS callback. */
static void release_wake(handle_t *h) {
  wake_t *w = h->wake;
  if (w == NULL) return;
  h->wake = NULL;
  if (w->callback != NULL) napi_delete_reference(w->env, w->callback);
  w->callback = NULL;
  if (w->context != NULL) napi_async_destroy(w->env, w->context);
  w->context = NULL;
  uv_close((uv_handle_t *)&w->async, free_wake);
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  handle_t *h = (handle_t *)data;
  if (h->cap != NULL) capture_free(h->cap);
  release_wake(h);
  free(h);
}

static void finalize_ring(napi_env env, void *data, void *hint) { free(data); }

/* open(device, filter, snaplen, kernelBuffer, ringBytes) -> { handle, ring, linkType } */
static napi_value cap_open(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (get_args(env, info, 5, argv) != 0) return NULL;
  char device[256];
  char filter[4096];
  size_t len = 0;
  int32_t snaplen = 0;
  int32_t kbuf = 0;
  int64_t ring_bytes = 0;
  CHECK(napi_get_value_string_utf8(env, argv[0], device, sizeof device, &len));
  CHECK(napi_get_value_string_utf8(env, argv[1], filter, sizeof filter, &len));
  if (len >= sizeof filter - 1) return throw_msg(env, "capture filter too long");
  CHECK(napi_get_value_int32(env, argv[2], &snaplen));
  CHECK(napi_get_value_int32(env, argv[3], &kbuf));
  CHECK(napi_get_value_int64(env, argv[4], &ring_bytes));
  if (snaplen < 64 || kbuf < 65536 || ring_bytes < 1 << 20 || ring_bytes > (int64_t)1 << 32)
    return throw_msg(env, "capture sizes out of range");
  capture_options_t o = {device, filter, snaplen, kbuf, (size_t)ring_bytes};
  char err[512] = "";
  capture_t *cap = capture_open(&o, err, sizeof err);
  if (cap == NULL) return throw_msg(env, err);
  handle_t *h = calloc(1, sizeof *h);
  napi_value ring;
  if (h == NULL || napi_create_external_arraybuffer(env, capture_ring(cap), capture_ring_size(cap),
                                                    finalize_ring, NULL, &ring) != napi_ok) {
    free((void *)capture_ring(cap));
    capture_free(cap);
    free(h);
    return throw_msg(env, "cannot expose the capture ring");
  }
  h->cap = cap;
  napi_value out, handle, link;
  CHECK(napi_create_external(env, h, finalize_handle, NULL, &handle));
  CHECK(napi_create_int32(env, capture_link_type(cap), &link));
  CHECK(napi_create_object(env, &out));
  CHECK(napi_set_named_property(env, out, "handle", handle));
  CHECK(napi_set_named_property(env, out, "ring", ring));
  CHECK(napi_set_named_property(env, out, "linkType", link));
  return out;
}

/* start(handle, onReady): the thread calls onReady() when frames wait and JS asked for it. */
static napi_value cap_start(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (get_args(env, info, 2, argv) != 0) return NULL;
  handle_t *h = get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  if (h->cap == NULL || h->wake != NULL) return throw_msg(env, "capture closed or already started");
  uv_loop_t *loop = NULL;
  CHECK(napi_get_uv_event_loop(env, &loop));
  wake_t *w = calloc(1, sizeof *w);
  if (w == NULL) return throw_msg(env, "out of memory");
  napi_value name;
  if (napi_create_string_utf8(env, "sipprot-capture", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, NULL, name, &w->context) != napi_ok) {
    free(w);
    return throw_msg(env, "cannot make the capture's async context");
  }
  if (uv_async_init(loop, &w->async, on_wake) != 0) {
    napi_async_destroy(env, w->context);
    free(w);
    return throw_msg(env, "cannot make the capture's wake-up");
  }
  w->async.data = w;
  w->env = env;
  h->wake = w;
  if (napi_create_reference(env, argv[1], 1, &w->callback) != napi_ok) {
    release_wake(h);
    return throw_msg(env, "cannot keep the capture's callback");
  }
  char err[256] = "";
  if (capture_start(h->cap, send_wake, w, err, sizeof err) != 0) {
    release_wake(h);
    return throw_msg(env, err);
  }
  return NULL;
}

/* readable(handle) -> bytes that can be read from position(handle) on (0: none, wake armed). */
static napi_value cap_readable(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv) != 0) return NULL;
  handle_t *h = get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  napi_value out;
  CHECK(napi_create_double(env, h->cap ? (double)capture_readable(h->cap) : 0, &out));
  return out;
}

static napi_value cap_position(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv) != 0) return NULL;
  handle_t *h = get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  napi_value out;
  CHECK(napi_create_double(env, h->cap ? (double)capture_position(h->cap) : 0, &out));
  return out;
}

static napi_value cap_release(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (get_args(env, info, 2, argv) != 0) return NULL;
  handle_t *h = get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  int64_t n = 0;
  CHECK(napi_get_value_int64(env, argv[1], &n));
  if (h->cap != NULL && n > 0) capture_release(h->cap, (size_t)n);
  return NULL;
}

static napi_value cap_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv) != 0) return NULL;
  handle_t *h = get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  capture_stats_t s;
  memset(&s, 0, sizeof s);
  if (h->cap != NULL) capture_stats(h->cap, &s);
  napi_value out;
  CHECK(napi_create_object(env, &out));
  CHECK(set_num(env, out, "received", (double)s.received));
  CHECK(set_num(env, out, "dropped", (double)s.dropped));
  CHECK(set_num(env, out, "ifDropped", (double)s.if_dropped));
  CHECK(set_num(env, out, "ringDrops", (double)s.ring_drops));
  CHECK(set_num(env, out, "frames", (double)s.frames));
  CHECK(set_num(env, out, "ringHighWater", (double)s.high_water));
  CHECK(set_num(env, out, "ringSize", (double)s.ring_size));
  CHECK(set_num(env, out, "wakeups", (double)s.wakeups));
  /* The capture thread's priority: nice and niceError are null until it has tried. */
  napi_value nil, v;
  CHECK(napi_get_null(env, &nil));
  CHECK(set_num(env, out, "niceWanted", (double)s.nice_wanted));
  if (s.nice_known) CHECK(napi_create_int32(env, s.nice, &v));
  CHECK(napi_set_named_property(env, out, "nice", s.nice_known ? v : nil));
  if (s.nice_known && s.nice_errno != 0)
    CHECK(napi_create_string_utf8(env, strerror(s.nice_errno), NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, out, "niceError", s.nice_known && s.nice_errno != 0 ? v : nil));
  return out;
}

static napi_value cap_error(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv) != 0) return NULL;
  handle_t *h = get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  const char *e = h->cap ? capture_error(h->cap) : NULL;
  napi_value out;
  if (e == NULL) CHECK(napi_get_null(env, &out));
  else CHECK(napi_create_string_utf8(env, e, NAPI_AUTO_LENGTH, &out));
  return out;
}

/* close(handle): stops the thread and libpcap; the ring stays valid until JS drops it. */
static napi_value cap_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (get_args(env, info, 1, argv) != 0) return NULL;
  handle_t *h = get_handle(env, argv[0]);
  if (h == NULL) return NULL;
  if (h->cap != NULL) {
    capture_free(h->cap);
    h->cap = NULL;
  }
  release_wake(h);
  return NULL;
}

#define MAX_OPS 16

/*
 * nftApply(netns, table, ops): one kernel transaction, in /run/netns/NETNS ("" = ours). Each op is
 * [add: boolean, set: string, keys: Uint8Array, keyLen: 4 | 16, timeoutsMs: Float64Array | null,
 * exclusive?: boolean] (exclusive: an add that refuses the transaction when an element is
 * already there, so a new block is one element operation, not three: nft-netlink.ts).
 * Throws an Error with the kernel's reason when the transaction is refused.
 */
static napi_value nft_apply_js(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (get_args(env, info, 3, argv) != 0) return NULL;
  char netns[64];
  char table[64];
  size_t len = 0;
  CHECK(napi_get_value_string_utf8(env, argv[0], netns, sizeof netns, &len));
  if (len >= sizeof netns - 1) return throw_msg(env, "nftApply: network namespace name too long");
  CHECK(napi_get_value_string_utf8(env, argv[1], table, sizeof table, &len));
  uint32_t nops = 0;
  CHECK(napi_get_array_length(env, argv[2], &nops));
  if (nops > MAX_OPS) return throw_msg(env, "too many nftables operations in one call");
  nft_op_t ops[MAX_OPS];
  char names[MAX_OPS][64];
  for (uint32_t i = 0; i < nops; i++) {
    napi_value op, v;
    CHECK(napi_get_element(env, argv[2], i, &op));
    bool add = false;
    CHECK(napi_get_element(env, op, 0, &v));
    CHECK(napi_get_value_bool(env, v, &add));
    const char *why = read_key_op(env, op, 1, false, names[i], sizeof names[i], &ops[i]);
    if (why != NULL) {
      char msg[160];
      snprintf(msg, sizeof msg, "nftApply: %s", why);
      return throw_msg(env, msg);
    }
    bool exclusive = false;
    uint32_t arity = 0;
    CHECK(napi_get_array_length(env, op, &arity));
    if (arity > 5) {
      CHECK(napi_get_element(env, op, 5, &v));
      CHECK(napi_get_value_bool(env, v, &exclusive));
    }
    ops[i].add = add;
    ops[i].exclusive = exclusive;
  }
  char err[512] = "";
  if (nft_apply(netns, table, ops, nops, err, sizeof err) != 0) {
    napi_throw_error(env, "SP_ERR_FIREWALL", err);
    return NULL;
  }
  return NULL;
}

/* nftCount(netns, table, set): how many elements the set holds (benches' read-back). */
static napi_value nft_count_js(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (get_args(env, info, 3, argv) != 0) return NULL;
  char netns[64];
  char table[64];
  char set[64];
  size_t len = 0;
  CHECK(napi_get_value_string_utf8(env, argv[0], netns, sizeof netns, &len));
  if (len >= sizeof netns - 1) return throw_msg(env, "nftCount: network namespace name too long");
  CHECK(napi_get_value_string_utf8(env, argv[1], table, sizeof table, &len));
  CHECK(napi_get_value_string_utf8(env, argv[2], set, sizeof set, &len));
  char err[512] = "";
  long n = nft_count(netns, table, set, err, sizeof err);
  if (n < 0) {
    napi_throw_error(env, "SP_ERR_FIREWALL", err);
    return NULL;
  }
  napi_value out;
  CHECK(napi_create_double(env, (double)n, &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value true_value;
  if (napi_get_boolean(env, true, &true_value) != napi_ok) return NULL;
  napi_property_descriptor props[] = {
      {"captureOpen", NULL, cap_open, NULL, NULL, NULL, napi_default, NULL},
      {"captureStart", NULL, cap_start, NULL, NULL, NULL, napi_default, NULL},
      {"captureReadable", NULL, cap_readable, NULL, NULL, NULL, napi_default, NULL},
      {"capturePosition", NULL, cap_position, NULL, NULL, NULL, napi_default, NULL},
      {"captureRelease", NULL, cap_release, NULL, NULL, NULL, napi_default, NULL},
      {"captureStats", NULL, cap_stats, NULL, NULL, NULL, napi_default, NULL},
      {"captureError", NULL, cap_error, NULL, NULL, NULL, napi_default, NULL},
      {"captureClose", NULL, cap_close, NULL, NULL, NULL, napi_default, NULL},
      {"nftApply", NULL, nft_apply_js, NULL, NULL, NULL, napi_default, NULL},
      /* nftApply takes the 6th, exclusive element (an older build ignores it: nft-netlink.ts asks). */
      {"nftApplyExclusive", NULL, NULL, NULL, NULL, true_value, napi_default, NULL},
      {"nftCount", NULL, nft_count_js, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok ||
      watch_register(env, exports) != napi_ok || load_register(env, exports) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
