/*
 * The kernel watch's reads of sipprot's table over netlink (libmnl), in-process: the rules
 * of one chain, the named drop counters, and a monitor of the nftables event group.
 *
 * Why: these ran as `nft` children. nft 1.0.6 reads every set element of the table for
 * `nft list chain` and `nft list counters` (with 100k blocks ~0.45-0.7 s of CPU each, with
 * 1M+1M one `list chain` took 202 s, so the watch could not tell a flushed chain from a
 * slow nft), and the two `nft monitor` processes woke for every element event (three per
 * block). Here a chain's rules are one dump the kernel filters by table and chain (rules
 * only, never elements: the same microseconds with 0 or 1M blocks), the counters one dump
 * of the table's counter objects, and the monitor a thread that drops element events in C
 * and wakes JS only when a table, chain, rule or set of our table was deleted, or when
 * the socket overflowed (events lost: look now).
 */
#define _GNU_SOURCE
#include "nft-watch.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "nft.h"

#define NFPROTO_INET_ 1
/* Destroy commands (kernel 6.3+; not in every header): announced like deletions. */
#define MSG_DESTROYTABLE 26
#define MSG_DESTROYSET 29
#define MSG_DESTROYSETELEM 30
/* The first attribute of a table, chain, rule, set and object message is its table's name. */
#define ATTR_TABLE 1

static uint32_t seq_of(void) {
  static atomic_uint next;
  unsigned v = atomic_fetch_add(&next, 1);
  return (uint32_t)time(NULL) + v;
}

/* A request for `type` of the inet family: flags NLM_F_DUMP or NLM_F_ACK. */
static struct nlmsghdr *request(char *buf, uint16_t type, uint16_t flags, uint32_t seq) {
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | type;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  nlh->nlmsg_seq = seq;
  struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
  g->nfgen_family = NFPROTO_INET_;
  g->version = NFNETLINK_V0;
  g->res_id = 0;
  return nlh;
}

/* Sends nlh on a fresh socket in netns and runs cb over the answers. 0; 1 when the kernel
 * said ENOENT; -1 with err set. A fresh socket: these run every few seconds at most. */
static int ask(const char *netns, struct nlmsghdr *nlh, mnl_cb_t cb, void *data, const char *what, char *err,
               size_t errlen) {
  struct mnl_socket *sock = nft_open_socket(netns, err, errlen);
  if (sock == NULL) return -1;
  struct timeval tv = {5, 0};
  setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int rc = 0;
  if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0) {
    snprintf(err, errlen, "cannot ask the kernel for %s: %s", what, strerror(errno));
    rc = -1;
  } else {
    uint32_t portid = mnl_socket_get_portid(sock);
    static _Thread_local char buf[1 << 16];
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(sock, buf, sizeof buf);
      int r = n < 0 ? -1 : mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, cb, data);
      if (r > 0) continue;
      if (r < 0) {
        rc = errno == ENOENT ? 1 : -1;
        snprintf(err, errlen, "%s: %s", what, strerror(errno));
      }
      break;
    }
  }
  mnl_socket_close(sock);
  return rc;
}

static void put_str(struct nlmsghdr *nlh, uint16_t type, const char *s) { mnl_attr_put_strz(nlh, type, s); }

/* Every attribute of a message after its nfgenmsg, by type (the last of each type wins). */
static void attrs_of(const struct nlmsghdr *nlh, const struct nlattr **tb, int max) {
  memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
  const struct nlattr *a;
  mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
    int t = mnl_attr_get_type(a);
    if (t <= max) tb[t] = a;
  }
}

typedef struct {
  const char *set;
  nft_chain_rules_t *out;
} rules_ctx_t;

/* Whether one rule's expressions hold a lookup of set `set`. */
static int looks_up(const struct nlattr *exprs, const char *set) {
  const struct nlattr *e;
  mnl_attr_for_each_nested(e, exprs) {
    const struct nlattr *name = NULL, *data = NULL, *x;
    mnl_attr_for_each_nested(x, e) {
      if (mnl_attr_get_type(x) == NFTA_EXPR_NAME) name = x;
      if (mnl_attr_get_type(x) == NFTA_EXPR_DATA) data = x;
    }
    if (name == NULL || data == NULL || strcmp(mnl_attr_get_str(name), "lookup") != 0) continue;
    mnl_attr_for_each_nested(x, data) {
      if (mnl_attr_get_type(x) == NFTA_LOOKUP_SET && strcmp(mnl_attr_get_str(x), set) == 0) return 1;
    }
  }
  return 0;
}

static int on_rule(const struct nlmsghdr *nlh, void *data) {
  rules_ctx_t *c = data;
  const struct nlattr *tb[NFTA_RULE_EXPRESSIONS + 1];
  attrs_of(nlh, tb, NFTA_RULE_EXPRESSIONS);
  c->out->rules++;
  if (tb[NFTA_RULE_EXPRESSIONS] != NULL && looks_up(tb[NFTA_RULE_EXPRESSIONS], c->set)) c->out->lookups++;
  return MNL_CB_OK;
}

static int on_nothing(const struct nlmsghdr *nlh, void *data) { return MNL_CB_OK; }

int nft_chain_rules(const char *netns, const char *table, const char *chain, const char *set,
                    nft_chain_rules_t *out, char *err, size_t errlen) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  char what[192];
  out->rules = out->lookups = 0;
  /* The chain first: a rule dump of a table or chain that is gone is just empty. */
  struct nlmsghdr *nlh = request(buf, NFT_MSG_GETCHAIN, NLM_F_ACK, seq_of());
  put_str(nlh, NFTA_CHAIN_TABLE, table);
  put_str(nlh, NFTA_CHAIN_NAME, chain);
  snprintf(what, sizeof what, "chain %s of table inet %s", chain, table);
  int rc = ask(netns, nlh, on_nothing, NULL, what, err, errlen);
  if (rc != 0) return rc;
  nlh = request(buf, NFT_MSG_GETRULE, NLM_F_DUMP, seq_of());
  put_str(nlh, NFTA_RULE_TABLE, table);
  put_str(nlh, NFTA_RULE_CHAIN, chain);
  rules_ctx_t c = {set, out};
  snprintf(what, sizeof what, "rules of chain %s of table inet %s", chain, table);
  rc = ask(netns, nlh, on_rule, &c, what, err, errlen);
  return rc;
}

typedef struct {
  nft_counter_t *out;
  int max;
  int n;
} counters_ctx_t;

static int on_counter(const struct nlmsghdr *nlh, void *data) {
  counters_ctx_t *c = data;
  const struct nlattr *tb[NFTA_OBJ_DATA + 1];
  attrs_of(nlh, tb, NFTA_OBJ_DATA);
  if (tb[NFTA_OBJ_NAME] == NULL || tb[NFTA_OBJ_DATA] == NULL || c->n >= c->max) return MNL_CB_OK;
  if (tb[NFTA_OBJ_TYPE] == NULL || ntohl(mnl_attr_get_u32(tb[NFTA_OBJ_TYPE])) != NFT_OBJECT_COUNTER)
    return MNL_CB_OK;
  nft_counter_t *o = &c->out[c->n++];
  snprintf(o->name, sizeof o->name, "%s", mnl_attr_get_str(tb[NFTA_OBJ_NAME]));
  o->packets = o->bytes = 0;
  const struct nlattr *x;
  mnl_attr_for_each_nested(x, tb[NFTA_OBJ_DATA]) {
    if (mnl_attr_get_type(x) == NFTA_COUNTER_PACKETS) o->packets = be64toh(mnl_attr_get_u64(x));
    if (mnl_attr_get_type(x) == NFTA_COUNTER_BYTES) o->bytes = be64toh(mnl_attr_get_u64(x));
  }
  return MNL_CB_OK;
}

int nft_counters(const char *netns, const char *table, nft_counter_t *out, int max, char *err,
                 size_t errlen) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  char what[160];
  /* The table first: an object dump of a table that is gone is just empty. */
  struct nlmsghdr *nlh = request(buf, NFT_MSG_GETTABLE, NLM_F_ACK, seq_of());
  put_str(nlh, NFTA_TABLE_NAME, table);
  snprintf(what, sizeof what, "table inet %s", table);
  if (ask(netns, nlh, on_nothing, NULL, what, err, errlen) != 0) return -1;
  nlh = request(buf, NFT_MSG_GETOBJ, NLM_F_DUMP, seq_of());
  put_str(nlh, NFTA_OBJ_TABLE, table);
  mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(NFT_OBJECT_COUNTER));
  counters_ctx_t c = {out, max, 0};
  snprintf(what, sizeof what, "counters of table inet %s", table);
  if (ask(netns, nlh, on_counter, &c, what, err, errlen) != 0) return -1;
  return c.n;
}

/* ---- the monitor ---- */

struct nft_watch {
  struct mnl_socket *sock;
  int stop_fd;
  pthread_t thread;
  char table[64];
  nft_watch_fn fn;
  void *ctx;
  _Atomic uint64_t messages, elements, reported, overruns;
};

/* Whether one event deletes something of inet `table` (element events never do here). */
static int deletes_ours(nft_watch_t *w, const struct nlmsghdr *nlh) {
  if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) return 0;
  int type = nlh->nlmsg_type & 0xff;
  int del = type == NFT_MSG_DELTABLE || type == NFT_MSG_DELCHAIN || type == NFT_MSG_DELRULE ||
            type == NFT_MSG_DELSET || (type >= MSG_DESTROYTABLE && type <= MSG_DESTROYSET);
  if (!del || nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg)) return 0;
  const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
  if (g->nfgen_family != NFPROTO_INET_) return 0;
  const struct nlattr *tb[ATTR_TABLE + 1];
  attrs_of(nlh, tb, ATTR_TABLE);
  return tb[ATTR_TABLE] != NULL && mnl_attr_validate(tb[ATTR_TABLE], MNL_TYPE_NUL_STRING) == 0 &&
         strcmp(mnl_attr_get_str(tb[ATTR_TABLE]), w->table) == 0;
}

/* What one datagram says, as NFT_WATCH_* bits. */
static unsigned read_events(nft_watch_t *w, const char *buf, int len) {
  unsigned bits = 0;
  for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len);
       h = mnl_nlmsg_next(h, &len)) {
    atomic_fetch_add(&w->messages, 1);
    int type = h->nlmsg_type & 0xff;
    if (type == NFT_MSG_NEWSETELEM || type == NFT_MSG_DELSETELEM || type == MSG_DESTROYSETELEM)
      atomic_fetch_add(&w->elements, 1);
    else if (deletes_ours(w, h))
      bits |= NFT_WATCH_CHANGED;
  }
  return bits;
}

static void *watch_main(void *arg) {
  nft_watch_t *w = arg;
  static _Thread_local char buf[1 << 17];
  int fd = mnl_socket_get_fd(w->sock);
  for (;;) {
    struct pollfd p[2] = {{fd, POLLIN, 0}, {w->stop_fd, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      w->fn(w->ctx, NFT_WATCH_FAILED);
      return NULL;
    }
    if (p[1].revents) return NULL;
    /* Everything waiting, then one report for all of it. */
    unsigned bits = 0;
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n >= 0) {
        bits |= read_events(w, buf, (int)n);
        continue;
      }
      if (errno == ENOBUFS) {
        atomic_fetch_add(&w->overruns, 1);
        bits |= NFT_WATCH_OVERRUN;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      w->fn(w->ctx, bits | NFT_WATCH_FAILED);
      return NULL;
    }
    if (bits) {
      atomic_fetch_add(&w->reported, 1);
      w->fn(w->ctx, bits);
    }
  }
}

nft_watch_t *nft_watch_start(const char *netns, const char *table, nft_watch_fn fn, void *ctx, char *err,
                             size_t errlen) {
  nft_watch_t *w = calloc(1, sizeof *w);
  if (w == NULL) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  snprintf(w->table, sizeof w->table, "%s", table);
  w->fn = fn;
  w->ctx = ctx;
  w->stop_fd = eventfd(0, EFD_CLOEXEC);
  w->sock = w->stop_fd < 0 ? NULL : nft_open_socket(netns, err, errlen);
  if (w->sock == NULL) {
    if (w->stop_fd < 0) snprintf(err, errlen, "eventfd: %s", strerror(errno));
    else close(w->stop_fd);
    free(w);
    return NULL;
  }
  int fd = mnl_socket_get_fd(w->sock);
  int group = NFNLGRP_NFTABLES;
  /* Room for a burst of element events (3 per block) before an overrun forces a look. */
  int rcv = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  int rc = setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group);
  if (rc != 0) snprintf(err, errlen, "cannot subscribe to nftables events: %s", strerror(errno));
  else if ((rc = pthread_create(&w->thread, NULL, watch_main, w)) != 0)
    snprintf(err, errlen, "cannot start the nftables watch thread: %s", strerror(rc));
  if (rc == 0) pthread_setname_np(w->thread, "sipprot-nftmon"); /* its CPU shows in /proc (≤ 15 chars) */
  if (rc != 0) {
    mnl_socket_close(w->sock);
    close(w->stop_fd);
    free(w);
    return NULL;
  }
  return w;
}

void nft_watch_stats(nft_watch_t *w, nft_watch_stats_t *out) {
  out->messages = atomic_load(&w->messages);
  out->elements = atomic_load(&w->elements);
  out->reported = atomic_load(&w->reported);
  out->overruns = atomic_load(&w->overruns);
}

void nft_watch_stop(nft_watch_t *w) {
  uint64_t one = 1;
  if (write(w->stop_fd, &one, sizeof one) < 0) abort(); /* an eventfd write cannot fail here */
  pthread_join(w->thread, NULL);
  mnl_socket_close(w->sock);
  close(w->stop_fd);
  free(w);
}
