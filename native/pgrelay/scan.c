#include "scan.h"
#include <string.h>

#define READY_FOR_QUERY 'Z'
#define ERROR_RESPONSE 'E'

void scan_init(scanner_t *s, const scan_hooks_t *hooks, void *ctx, int capture_bodies) {
  memset(s, 0, sizeof *s);
  s->hooks = hooks;
  s->ctx = ctx;
  s->capture_bodies = capture_bodies;
  s->capture_types[0] = s->capture_types[1] = -1;
}

static void finish_capture(scanner_t *s) {
  int type = s->capturing;
  s->capturing = 0;
  if (s->capture_bodies && type == READY_FOR_QUERY) {
    if (s->captured > 0 && s->hooks->ready_for_query) s->hooks->ready_for_query(s->ctx, s->capture[0]);
  } else if (s->capture_bodies && type == ERROR_RESPONSE) {
    if (s->hooks->error_response) s->hooks->error_response(s->ctx, s->capture, s->captured);
  } else if (s->hooks->captured) {
    s->hooks->captured(s->ctx, type, s->capture, s->captured);
  }
}

static void start_message(scanner_t *s, int type, uint32_t length) {
  /* A length below 4 is invalid and the receiving end rejects it; taken as empty so that the
   * scanner never loops on it. */
  s->remaining = length >= 4 ? length - 4 : 0;
  s->last_type = type;
  s->hooks->message_start(s->ctx, type);
  int wanted = s->capture_bodies ? type == READY_FOR_QUERY || type == ERROR_RESPONSE : 0;
  if (wanted || type == s->capture_types[0] || type == s->capture_types[1]) {
    s->capturing = type;
    s->captured = 0;
    if (s->remaining == 0) finish_capture(s);
  }
}

void scan_bytes(scanner_t *s, const unsigned char *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (s->remaining > 0) {
      size_t take = s->remaining < n - i ? s->remaining : n - i;
      if (s->capturing) {
        size_t room = SCAN_CAPTURE_BYTES - s->captured;
        size_t copy = take < room ? take : room;
        memcpy(s->capture + s->captured, p + i, copy);
        s->captured += copy;
      }
      s->remaining -= (uint32_t)take;
      i += take;
      if (s->remaining == 0 && s->capturing) finish_capture(s);
      continue;
    }
    if (s->header_fill == 0 && n - i >= 5) {
      int type = p[i];
      uint32_t length = ((uint32_t)p[i + 1] << 24) | ((uint32_t)p[i + 2] << 16) | ((uint32_t)p[i + 3] << 8) | p[i + 4];
      i += 5;
      start_message(s, type, length);
      continue;
    }
    unsigned char b = p[i++];
    if (s->header_fill == 0) {
      s->header_type = b;
      s->header_length = 0;
    } else {
      s->header_length = (s->header_length << 8) | b;
    }
    if (++s->header_fill == 5) {
      s->header_fill = 0;
      start_message(s, s->header_type, s->header_length);
    }
  }
}
