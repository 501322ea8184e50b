/* The kernel watch's N-API functions (watch-addon.c), added to the addon's exports. */
#ifndef SIPPROT_WATCH_ADDON_H
#define SIPPROT_WATCH_ADDON_H

#include <node_api.h>

napi_status watch_register(napi_env env, napi_value exports);

#endif
