/* nftables set elements over netlink, in-process (nft.c). */
#ifndef SIPPROT_NFT_H
#define SIPPROT_NFT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  int add; /* 1: add (create, no error when present); 0: delete (error when absent) */
  int exclusive; /* with add: an element already present refuses the transaction (NLM_F_EXCL) */
  const char *set;
  const uint8_t *keys; /* count keys of key_len bytes, network byte order */
  size_t key_len;
  size_t count;
  const double *timeouts; /* ms per element (0: none), or NULL */
} nft_op_t;

/* One kernel transaction holding every op, in order, in network namespace `netns` ("" = our
 * own; else /run/netns/NAME). 0, or -1 with err set. */
int nft_apply(const char *netns, const char *table, const nft_op_t *ops, size_t nops, char *err, size_t errlen);

/* The ops' elements `chunk` a transaction, from any thread (its own socket); *loaded: how
 * many went in. 0, or -1 with err set. */
int nft_load(const char *netns, const char *table, const nft_op_t *ops, size_t nops, size_t chunk,
             size_t *loaded, char *err, size_t errlen);

/* How many elements set `set` of `table` holds, or -1 with err set. */
long nft_count(const char *netns, const char *table, const char *set, char *err, size_t errlen);

/* A bound netfilter netlink socket in /run/netns/NETNS ("" = our own), or NULL with err set
 * (nft-watch.c opens its own: a monitor, and dumps that run from any thread). */
struct mnl_socket;
struct mnl_socket *nft_open_socket(const char *netns, char *err, size_t errlen);

#endif
