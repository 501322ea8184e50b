/*
 * The N-API helpers every glue file of sipprot-native uses (addon.c, watch-addon.c,
 * nft-load-addon.c): a failed N-API call thrown as a JS error, the argument count checked,
 * a number property set, one set operation's arguments read (nftApply and nftLoadAsync
 * take the same [set, keys, keyLen, timeouts] and must refuse the same bad input). Static
 * inline: each glue file gets its own copy from this one source.
 */
#ifndef SIPPROT_NAPI_UTIL_H
#define SIPPROT_NAPI_UTIL_H

#include <node_api.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nft.h"

#define CHECK(call)                                                              \
  do {                                                                           \
    if ((call) != napi_ok) {                                                     \
      const napi_extended_error_info *info_ = NULL;                              \
      napi_get_last_error_info(env, &info_);                                     \
      napi_throw_error(env, NULL,                                                \
                       info_ && info_->error_message ? info_->error_message      \
                                                     : "sipprot-native: N-API"); \
      return NULL;                                                               \
    }                                                                            \
  } while (0)

static inline int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "sipprot-native: missing arguments");
    return -1;
  }
  return 0;
}

static inline napi_status set_num(napi_env env, napi_value obj, const char *key, double v) {
  napi_value x;
  napi_status s = napi_create_double(env, v, &x);
  return s != napi_ok ? s : napi_set_named_property(env, obj, key, x);
}

/* An N-API failure's own message (valid until the next N-API call). */
static inline const char *napi_failure(napi_env env) {
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  return info && info->error_message ? info->error_message : "sipprot-native: N-API";
}

/*
 * One set operation's keys read from the JS array `op`: element `first` is the set's name
 * (into name, namelen bytes), first + 1 the keys (a Uint8Array of keyLen-byte addresses),
 * first + 2 keyLen (4 or 16), first + 3 the timeouts in ms (a Float64Array, one per key,
 * or null/undefined). Fills o->set, keys, key_len, count, timeouts (add and exclusive are
 * the caller's). copy: the keys and timeouts are malloc'ed copies the caller frees (for a
 * call that returns before the work is done); else they point into the JS arrays, valid for
 * this call only. NULL, or what was wrong (a static text, or N-API's own message) for the
 * caller to throw its way; on failure nothing is left allocated in o.
 */
static inline const char *read_key_op(napi_env env, napi_value op, uint32_t first, bool copy, char *name,
                                      size_t namelen, nft_op_t *o) {
  napi_value v;
  size_t len = 0;
  o->set = name;
  o->keys = NULL;
  o->timeouts = NULL;
  if (napi_get_element(env, op, first, &v) != napi_ok ||
      napi_get_value_string_utf8(env, v, name, namelen, &len) != napi_ok)
    return napi_failure(env);
  if (len >= namelen - 1) return "set name too long";
  napi_typedarray_type kt;
  size_t klen = 0;
  void *kdata = NULL;
  int32_t key_len = 0;
  if (napi_get_element(env, op, first + 1, &v) != napi_ok ||
      napi_get_typedarray_info(env, v, &kt, &klen, &kdata, NULL, NULL) != napi_ok ||
      napi_get_element(env, op, first + 2, &v) != napi_ok || napi_get_value_int32(env, v, &key_len) != napi_ok)
    return napi_failure(env);
  if (kt != napi_uint8_array || (key_len != 4 && key_len != 16) || klen % (size_t)key_len != 0)
    return "keys must be a Uint8Array of 4- or 16-byte addresses";
  size_t count = klen / (size_t)key_len;
  const double *timeouts = NULL;
  napi_valuetype vt;
  if (napi_get_element(env, op, first + 3, &v) != napi_ok || napi_typeof(env, v, &vt) != napi_ok)
    return napi_failure(env);
  if (vt != napi_null && vt != napi_undefined) {
    napi_typedarray_type tt;
    size_t tlen = 0;
    void *tdata = NULL;
    if (napi_get_typedarray_info(env, v, &tt, &tlen, &tdata, NULL, NULL) != napi_ok) return napi_failure(env);
    if (tt != napi_float64_array || tlen != count) return "timeouts must be a Float64Array, one per key";
    timeouts = (const double *)tdata;
  }
  if (copy) {
    uint8_t *k = malloc(klen > 0 ? klen : 1);
    double *t = timeouts != NULL ? malloc(count > 0 ? count * sizeof(double) : 1) : NULL;
    if (k == NULL || (timeouts != NULL && t == NULL)) {
      free(k);
      free(t);
      return "out of memory";
    }
    memcpy(k, kdata, klen);
    if (t != NULL) memcpy(t, timeouts, count * sizeof(double));
    kdata = k;
    timeouts = t;
  }
  o->keys = (const uint8_t *)kdata;
  o->key_len = (size_t)key_len;
  o->count = count;
  o->timeouts = timeouts;
  return NULL;
}

#endif
