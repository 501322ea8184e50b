/* Live capture on its own thread into a ring that JavaScript reads in place (capture.c). */
#ifndef SIPPROT_CAPTURE_H
#define SIPPROT_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

typedef struct capture capture_t;

/* Called on the capture thread when frames wait and JS asked to be woken (must be
 * thread-safe and must not block: addon.c passes uv_async_send). */
typedef void (*capture_wake_fn)(void *arg);

typedef struct {
  const char *device;
  const char *filter;
  int snaplen;
  int kernel_buffer;
  size_t ring_bytes;
} capture_options_t;

typedef struct {
  uint64_t received;
  uint64_t dropped;
  uint64_t if_dropped;
  uint64_t ring_drops;
  uint64_t frames;
  uint64_t high_water;
  uint64_t wakeups;
  uint64_t ring_size;
  /* The capture thread's priority: the nice it has, the one it asked for, and the errno of
   * the refusal (0: granted); nice_known is 0 until the thread has tried. */
  int nice_known;
  int nice;
  int nice_wanted;
  int nice_errno;
} capture_stats_t;

capture_t *capture_open(const capture_options_t *o, char *err, size_t errlen);
int capture_start(capture_t *c, capture_wake_fn wake, void *wake_arg, char *err, size_t errlen);
void capture_stop(capture_t *c);
void capture_free(capture_t *c);
int capture_link_type(const capture_t *c);
uint8_t *capture_ring(const capture_t *c);
size_t capture_ring_size(const capture_t *c);
size_t capture_readable(capture_t *c);
size_t capture_position(const capture_t *c);
void capture_release(capture_t *c, size_t bytes);
int capture_stats(capture_t *c, capture_stats_t *s);
const char *capture_error(const capture_t *c);

#endif
