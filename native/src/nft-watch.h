/* The kernel watch and the drop counters of sipprot's table over netlink (nft-watch.c). */
#ifndef SIPPROT_NFT_WATCH_H
#define SIPPROT_NFT_WATCH_H

#include <stddef.h>
#include <stdint.h>

/* One chain's rules: how many, and how many look up the set named in the query. */
typedef struct {
  long rules;
  long lookups;
} nft_chain_rules_t;

/* 0 and *out filled; 1 when the table or the chain does not exist (err says which);
 * -1 with err set when the kernel could not be asked. Reads rules only, never elements. */
int nft_chain_rules(const char *netns, const char *table, const char *chain, const char *set,
                    nft_chain_rules_t *out, char *err, size_t errlen);

typedef struct {
  char name[64];
  uint64_t packets;
  uint64_t bytes;
} nft_counter_t;

/* The named counters of `table` (at most max): how many, or -1 with err set (a table that
 * does not exist included). */
int nft_counters(const char *netns, const char *table, nft_counter_t *out, int max, char *err,
                 size_t errlen);

/* What the monitor reports, as bits. */
#define NFT_WATCH_CHANGED 1u /* a table, chain, rule or set of `table` was deleted or flushed */
#define NFT_WATCH_OVERRUN 2u /* the socket overflowed: events were lost, look now */
#define NFT_WATCH_FAILED 4u  /* the socket failed; the thread ended */

typedef struct nft_watch nft_watch_t;
typedef void (*nft_watch_fn)(void *ctx, unsigned bits);

typedef struct {
  uint64_t messages; /* nftables events read */
  uint64_t elements; /* of them set element events (ignored) */
  uint64_t reported; /* wake-ups handed to `fn` */
  uint64_t overruns;
} nft_watch_stats_t;

/* A thread reading the nftables event group of `netns`; `fn` is called on that thread. */
nft_watch_t *nft_watch_start(const char *netns, const char *table, nft_watch_fn fn, void *ctx, char *err,
                             size_t errlen);
void nft_watch_stats(nft_watch_t *w, nft_watch_stats_t *out);
/* Stops and joins the thread, closes the socket, frees w. */
void nft_watch_stop(nft_watch_t *w);

#endif
