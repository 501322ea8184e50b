/*
 * Live capture on its own thread, handed to JavaScript in batches.
 *
 * Why: node-pcap calls into JavaScript once per packet (a C++ -> JS transition, an event
 * emit and a Buffer view each) and reads only while the event loop is free. Its kernel
 * ring holds 512 frames (immediate mode uses TPACKET_V2, whose frame size follows the
 * 64 KiB snap length on an interface with offloads), i.e. 3.4 ms at 150k packets/s: any
 * longer pause of the event loop (a GC, a store commit) and the kernel drops packets.
 *
 * Here a thread blocks in libpcap (immediate mode: no delivery delay), copies each frame
 * into a large ring in user memory (default 64 MiB: ~90k SIP frames, 0.6 s at 150k/s)
 * and wakes the event loop at most once per batch, only when JavaScript has asked to be
 * woken (`armed`). The wake-up is libuv's uv_async_send (addon.c): an atomic flag and one
 * eventfd write, no lock. It was N-API's thread-safe function, whose push writes the
 * eventfd while holding the function's mutex: at 1k packets/s the event loop woke, found
 * that mutex still held and slept on it again (a futex wait here, a futex wake there:
 * two more context switches a packet, bench/RESULTS.md "Issue 13: one wake-up a packet"). JavaScript reads the ring in place (an
 * external ArrayBuffer): no call per packet, no copy, no allocation. The kernel ring is
 * drained within microseconds of a packet whatever the event loop does; only a ring
 * that stays full longer than JavaScript can catch up loses frames, and those are
 * counted (ringDrops) next to the kernel's own drops. The thread runs at nice -10 (root
 * only): a copy a frame is all it does, but it must run when frames arrive. Without
 * CAP_SYS_NICE or an RLIMIT_NICE that allows it (a unit without LimitNICE, a container)
 * the kernel refuses: the nice the thread really has and the refusal's errno are kept for
 * status (capture_stats), and capture_start returns only once they are known.
 *
 * Ring protocol (single producer: the thread; single consumer: the JS thread):
 *   head, tail: bytes written / consumed since the start (64-bit, never wrap).
 *   A record at (tail % size): u32 caplen, u32 wire length, u32 seconds, u32 micros,
 *   caplen bytes, padding to 8. A record never straddles the end of the ring: when the
 *   rest is too short the producer writes WRAP (caplen 0xFFFFFFFF) and continues at 0.
 *   The producer publishes head with release order after writing a record; the
 *   consumer releases tail after reading. `armed` says the consumer found the ring empty
 *   and waits for a wake-up.
 */
#define _GNU_SOURCE
#include "capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WRAP 0xFFFFFFFFu
#define HDR 16u

struct capture {
  pcap_t *pcap;
  int link_type;
  uint8_t *ring;
  size_t size;
  _Atomic uint64_t head;
  _Atomic uint64_t tail;
  _Atomic int armed;
  _Atomic int stop;
  _Atomic uint64_t ring_drops;
  _Atomic uint64_t frames;
  _Atomic uint64_t high_water;
  _Atomic uint64_t wakeups;
  pthread_t thread;
  int running;
  capture_wake_fn wake;
  void *wake_arg;
  char error[PCAP_ERRBUF_SIZE + 64];
  _Atomic int failed;
  /* The thread's priority as it took it: posted once nice and nice_errno are written. */
  sem_t prio_ready;
  _Atomic int prio_known;
  int nice;
  int nice_errno;
};

static size_t align8(size_t n) { return (n + 7u) & ~(size_t)7u; }

static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* libpcap's callback, on the capture thread. */
static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  capture_t *c = (capture_t *)user;
  size_t need = align8(HDR + h->caplen);
  uint64_t head = atomic_load_explicit(&c->head, memory_order_relaxed);
  uint64_t tail = atomic_load_explicit(&c->tail, memory_order_acquire);
  size_t pos = (size_t)(head % c->size);
  size_t to_end = c->size - pos;
  size_t skip = to_end < need ? to_end : 0;
  if (need > c->size / 2 || head + skip + need - tail > c->size) {
    atomic_fetch_add_explicit(&c->ring_drops, 1, memory_order_relaxed);
    return;
  }
  if (skip > 0) {
    put_u32(c->ring + pos, WRAP);
    head += skip;
    pos = 0;
  }
  uint8_t *r = c->ring + pos;
  put_u32(r, h->caplen);
  put_u32(r + 4, h->len);
  put_u32(r + 8, (uint32_t)h->ts.tv_sec);
  put_u32(r + 12, (uint32_t)h->ts.tv_usec);
  memcpy(r + HDR, bytes, h->caplen);
  head += need;
  atomic_store_explicit(&c->head, head, memory_order_release);
  atomic_fetch_add_explicit(&c->frames, 1, memory_order_relaxed);
  uint64_t used = head - tail;
  if (used > atomic_load_explicit(&c->high_water, memory_order_relaxed))
    atomic_store_explicit(&c->high_water, used, memory_order_relaxed);
}

/* The thread's niceness: it needs little CPU (a copy a frame) but needs it at once, or the
 * kernel ring (512 frames) overflows while other processes hold the cores. */
#define CAPTURE_NICE -10
/* A dispatch that took this many frames means a busy link: nap NAP_NS before the next. */
#define BUSY_FRAMES 4
#define NAP_NS 200000

static void *run(void *arg) {
  capture_t *c = (capture_t *)arg;
  /* Linux: setpriority on a thread id sets that thread's nice value (needs CAP_SYS_NICE;
   * without it the thread keeps the process's and capture works the same). */
  id_t tid = (id_t)syscall(SYS_gettid);
  c->nice_errno = setpriority(PRIO_PROCESS, tid, CAPTURE_NICE) == 0 ? 0 : errno;
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, tid);
  c->nice = nice == -1 && errno != 0 ? 0 : nice;
  atomic_store_explicit(&c->prio_known, 1, memory_order_release);
  sem_post(&c->prio_ready);
  while (!atomic_load(&c->stop)) {
    uint64_t before = atomic_load_explicit(&c->head, memory_order_relaxed);
    /* Blocks until frames arrive (immediate mode), then takes every frame the kernel holds. */
    int n = pcap_dispatch(c->pcap, -1, on_packet, (u_char *)c);
    atomic_fetch_add_explicit(&c->wakeups, 1, memory_order_relaxed);
    if (n == PCAP_ERROR_BREAK) continue;
    if (n < 0) {
      snprintf(c->error, sizeof c->error, "%s", pcap_geterr(c->pcap));
      atomic_store(&c->failed, 1);
      c->wake(c->wake_arg);
      break;
    }
    uint64_t after = atomic_load_explicit(&c->head, memory_order_relaxed);
    if (after != before && atomic_exchange(&c->armed, 0) == 1) c->wake(c->wake_arg);
    /* Busy (several frames a wake-up): let frames gather for a moment, so a flood costs a
     * wake-up per batch instead of one per frame (~4 µs each here). A lone frame (an attack
     * at a few guesses a second) goes on at once: no nap, no added latency. */
    if (n >= BUSY_FRAMES) {
      struct timespec nap = {0, NAP_NS};
      nanosleep(&nap, NULL);
    }
  }
  return NULL;
}

capture_t *capture_open(const capture_options_t *o, char *err, size_t errlen) {
  char ebuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t *p = pcap_create(o->device, ebuf);
  if (p == NULL) {
    snprintf(err, errlen, "%s", ebuf);
    return NULL;
  }
  int rc = 0;
  if ((rc = pcap_set_snaplen(p, o->snaplen)) != 0 || (rc = pcap_set_promisc(p, 0)) != 0 ||
      (rc = pcap_set_buffer_size(p, o->kernel_buffer)) != 0 ||
      (rc = pcap_set_immediate_mode(p, 1)) != 0) {
    snprintf(err, errlen, "cannot configure the capture: %s", pcap_statustostr(rc));
    pcap_close(p);
    return NULL;
  }
  rc = pcap_activate(p);
  if (rc < 0) {
    const char *why = pcap_geterr(p);
    snprintf(err, errlen, "%s%s%s", pcap_statustostr(rc), why[0] ? ": " : "", why);
    pcap_close(p);
    return NULL;
  }
  if (o->filter[0] != '\0') {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, o->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
      snprintf(err, errlen, "bad capture filter: %s", pcap_geterr(p));
      pcap_close(p);
      return NULL;
    }
    rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
      snprintf(err, errlen, "cannot set the capture filter: %s", pcap_geterr(p));
      pcap_close(p);
      return NULL;
    }
  }
  capture_t *c = calloc(1, sizeof *c);
  uint8_t *ring = NULL;
  size_t size = align8(o->ring_bytes);
  if (c != NULL) ring = aligned_alloc(64, size);
  if (c == NULL || ring == NULL) {
    free(c);
    free(ring);
    pcap_close(p);
    snprintf(err, errlen, "out of memory for a %zu-byte capture ring", size);
    return NULL;
  }
  c->pcap = p;
  c->link_type = pcap_datalink(p);
  c->ring = ring;
  c->size = size;
  atomic_init(&c->armed, 1);
  return c;
}

int capture_start(capture_t *c, capture_wake_fn wake, void *wake_arg, char *err, size_t errlen) {
  c->wake = wake;
  c->wake_arg = wake_arg;
  sem_init(&c->prio_ready, 0, 0);
  int rc = pthread_create(&c->thread, NULL, run, c);
  if (rc != 0) {
    snprintf(err, errlen, "cannot start the capture thread: %s", strerror(rc));
    return -1;
  }
  pthread_setname_np(c->thread, "sipprot-capture");
  c->running = 1;
  /* Its priority is the thread's first act (microseconds): status and the start's log line
   * can then say it. Bounded: a machine too loaded to run it for a second starts anyway. */
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 1;
  while (sem_timedwait(&c->prio_ready, &until) != 0 && errno == EINTR) continue;
  return 0;
}

void capture_stop(capture_t *c) {
  if (c->pcap == NULL) return;
  atomic_store(&c->stop, 1);
  /* libpcap >= 1.10 wakes a blocked poll() through its own eventfd. */
  pcap_breakloop(c->pcap);
  if (c->running) pthread_join(c->thread, NULL);
  c->running = 0;
  pcap_close(c->pcap);
  c->pcap = NULL;
}

int capture_link_type(const capture_t *c) { return c->link_type; }
uint8_t *capture_ring(const capture_t *c) { return c->ring; }
size_t capture_ring_size(const capture_t *c) { return c->size; }

size_t capture_readable(capture_t *c) {
  uint64_t tail = atomic_load_explicit(&c->tail, memory_order_relaxed);
  uint64_t head = atomic_load_explicit(&c->head, memory_order_acquire);
  if (head == tail) {
    /* Ask for a wake-up, then look again: a frame written in between is not missed. */
    atomic_store(&c->armed, 1);
    head = atomic_load_explicit(&c->head, memory_order_acquire);
    if (head == tail) return 0;
    atomic_store(&c->armed, 0);
  }
  size_t pos = (size_t)(tail % c->size);
  uint64_t avail = head - tail;
  return avail < c->size - pos ? (size_t)avail : c->size - pos;
}

void capture_release(capture_t *c, size_t bytes) {
  uint64_t tail = atomic_load_explicit(&c->tail, memory_order_relaxed);
  atomic_store_explicit(&c->tail, tail + bytes, memory_order_release);
}

size_t capture_position(const capture_t *c) {
  return (size_t)(atomic_load_explicit(&c->tail, memory_order_relaxed) % c->size);
}

int capture_stats(capture_t *c, capture_stats_t *s) {
  memset(s, 0, sizeof *s);
  s->ring_drops = atomic_load(&c->ring_drops);
  s->frames = atomic_load(&c->frames);
  s->high_water = atomic_load(&c->high_water);
  s->wakeups = atomic_load(&c->wakeups);
  s->ring_size = c->size;
  s->nice_wanted = CAPTURE_NICE;
  s->nice_known = atomic_load_explicit(&c->prio_known, memory_order_acquire);
  if (s->nice_known) {
    s->nice = c->nice;
    s->nice_errno = c->nice_errno;
  }
  if (c->pcap == NULL) return -1;
  struct pcap_stat ps;
  if (pcap_stats(c->pcap, &ps) != 0) return -1;
  s->received = ps.ps_recv;
  s->dropped = ps.ps_drop;
  s->if_dropped = ps.ps_ifdrop;
  return 0;
}

const char *capture_error(const capture_t *c) { return atomic_load(&c->failed) ? c->error : NULL; }

void capture_free(capture_t *c) {
  int started = c->wake != NULL;
  capture_stop(c);
  if (started) sem_destroy(&c->prio_ready);
  free(c);
}
