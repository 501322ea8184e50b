/*
 * N-API glue of the bulk load off the event loop (nft.c nft_load): nftLoadAsync(netns,
 * table, ops, chunk) -> Promise<number> (the elements loaded). The kernel applies a batch
 * inside sendmsg, on the sending thread: ~1.5-3 µs an element, 0.15-0.3 s for a start's
 * 100k running blocks on this 2-core machine. On libuv's pool that time is on the other
 * core while the event loop reads the lists (daemon/kernel-first.ts).
 *
 * Each op is [set: string, keys: Uint8Array, keyLen: 4 | 16, timeoutsMs: Float64Array |
 * null] (adds). The keys and timeouts are copied before the call returns: the caller's
 * arrays are free at once, and nothing of the JS heap is read off the loop's thread. A
 * refused chunk rejects with an Error (code SP_ERR_FIREWALL) carrying `loaded`.
 */
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "napi-util.h"
#include "nft-load-addon.h"
#include "nft.h"

#define MAX_LOAD_OPS 16

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char netns[64];
  char table[64];
  char names[MAX_LOAD_OPS][64];
  nft_op_t ops[MAX_LOAD_OPS];
  size_t nops;
  size_t chunk;
  size_t loaded;
  int rc;
  char err[512];
} load_t;

static void free_load(load_t *l) {
  for (size_t i = 0; i < l->nops; i++) {
    free((void *)l->ops[i].keys);
    free((void *)l->ops[i].timeouts);
  }
  free(l);
}

static void execute(napi_env env, void *data) {
  load_t *l = data;
  l->rc = nft_load(l->netns, l->table, l->ops, l->nops, l->chunk, &l->loaded, l->err, sizeof l->err);
}

static void complete(napi_env env, napi_status status, void *data) {
  load_t *l = data;
  napi_value out = NULL;
  if (status == napi_ok && l->rc == 0) {
    if (napi_create_double(env, (double)l->loaded, &out) == napi_ok) napi_resolve_deferred(env, l->deferred, out);
  } else {
    napi_value msg, code;
    const char *text = status == napi_ok ? l->err : "the bulk load was cancelled";
    if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg) == napi_ok &&
        napi_create_string_utf8(env, "SP_ERR_FIREWALL", NAPI_AUTO_LENGTH, &code) == napi_ok &&
        napi_create_error(env, code, msg, &out) == napi_ok) {
      set_num(env, out, "loaded", (double)l->loaded);
      napi_reject_deferred(env, l->deferred, out);
    }
  }
  napi_delete_async_work(env, l->work);
  free_load(l);
}

static napi_value fail(napi_env env, load_t *l, const char *msg) {
  free_load(l);
  napi_throw_error(env, "SP_ERR_FIREWALL", msg);
  return NULL;
}

/* Like CHECK, and frees the load first. */
#define CHECK_L(call)                                   \
  do {                                                  \
    if ((call) != napi_ok) return fail(env, l, "nftLoadAsync: bad arguments"); \
  } while (0)

static napi_value load_async_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (get_args(env, info, 4, argv) != 0) return NULL;
  load_t *l = calloc(1, sizeof *l);
  if (l == NULL) {
    napi_throw_error(env, "SP_ERR_FIREWALL", "out of memory");
    return NULL;
  }
  size_t len = 0;
  CHECK_L(napi_get_value_string_utf8(env, argv[0], l->netns, sizeof l->netns, &len));
  if (len >= sizeof l->netns - 1) return fail(env, l, "nftLoadAsync: network namespace name too long");
  CHECK_L(napi_get_value_string_utf8(env, argv[1], l->table, sizeof l->table, &len));
  uint32_t nops = 0;
  CHECK_L(napi_get_array_length(env, argv[2], &nops));
  if (nops > MAX_LOAD_OPS) return fail(env, l, "nftLoadAsync: too many sets in one load");
  int64_t chunk = 0;
  CHECK_L(napi_get_value_int64(env, argv[3], &chunk));
  if (chunk < 1) return fail(env, l, "nftLoadAsync: chunk must be at least 1");
  l->chunk = (size_t)chunk;
  for (uint32_t i = 0; i < nops; i++) {
    napi_value op;
    CHECK_L(napi_get_element(env, argv[2], i, &op));
    nft_op_t *o = &l->ops[l->nops];
    const char *why = read_key_op(env, op, 0, true, l->names[i], sizeof l->names[i], o);
    if (why != NULL) {
      char msg[160];
      snprintf(msg, sizeof msg, "nftLoadAsync: %s", why);
      return fail(env, l, msg);
    }
    o->add = 1;
    o->exclusive = 0;
    l->nops++;
  }
  napi_value promise, name;
  CHECK_L(napi_create_promise(env, &l->deferred, &promise));
  CHECK_L(napi_create_string_utf8(env, "sipprot:nftLoad", NAPI_AUTO_LENGTH, &name));
  CHECK_L(napi_create_async_work(env, NULL, name, execute, complete, l, &l->work));
  CHECK_L(napi_queue_async_work(env, l->work));
  return promise;
}

napi_status load_register(napi_env env, napi_value exports) {
  napi_value fn;
  napi_status s = napi_create_function(env, "nftLoadAsync", NAPI_AUTO_LENGTH, load_async_js, NULL, &fn);
  return s != napi_ok ? s : napi_set_named_property(env, exports, "nftLoadAsync", fn);
}
