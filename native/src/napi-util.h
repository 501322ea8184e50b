/*
 * The N-API helpers every glue file of sipprot-native uses (addon.c, watch-addon.c): a
 * failed N-API call thrown as a JS error, the argument count checked, a number property
 * set. Static inline: each glue file gets its own copy from this one source.
 */
#ifndef SIPPROT_NAPI_UTIL_H
#define SIPPROT_NAPI_UTIL_H

#include <node_api.h>

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

#endif
