/* A growable byte queue: the bytes p[off..len) are pending. Appending compacts before growing,
 * so a queue that is drained as fast as it fills never reallocates. */
#ifndef PGRELAY_BYTES_H
#define PGRELAY_BYTES_H
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *p;
  size_t off, len, cap;
} bytes_t;

static inline size_t bytes_pending(const bytes_t *b) { return b->len - b->off; }

/* Room for at least `room` more bytes after len; returns 0 when memory ran out. */
static inline int bytes_reserve(bytes_t *b, size_t room) {
  if (b->off > 0 && b->off == b->len) b->off = b->len = 0;
  if (b->cap - b->len >= room) return 1;
  if (b->off > 0) {
    memmove(b->p, b->p + b->off, b->len - b->off);
    b->len -= b->off;
    b->off = 0;
    if (b->cap - b->len >= room) return 1;
  }
  size_t cap = b->cap ? b->cap : 4096;
  while (cap - b->len < room) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) return 0;
  b->p = p;
  b->cap = cap;
  return 1;
}

static inline int bytes_append(bytes_t *b, const void *data, size_t n) {
  if (n == 0) return 1;
  if (!bytes_reserve(b, n)) return 0;
  memcpy(b->p + b->len, data, n);
  b->len += n;
  return 1;
}

static inline void bytes_clear(bytes_t *b) { b->off = b->len = 0; }

/* Keeps the allocation only while it is small: a burst must not pin memory for the session's life. */
static inline void bytes_trim(bytes_t *b, size_t keep) {
  if (b->off == b->len && b->cap > keep) {
    free(b->p);
    b->p = NULL;
    b->cap = b->off = b->len = 0;
  }
}

static inline void bytes_free(bytes_t *b) {
  free(b->p);
  b->p = NULL;
  b->cap = b->off = b->len = 0;
}
#endif
