/* The bulk load off the event loop (nft-load-addon.c), added to the addon's exports. */
#ifndef SIPPROT_NFT_LOAD_ADDON_H
#define SIPPROT_NFT_LOAD_ADDON_H

#include <node_api.h>

napi_status load_register(napi_env env, napi_value exports);

#endif
