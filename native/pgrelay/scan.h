/* Message boundaries of a relayed PostgreSQL byte stream, found from the 5-byte headers alone
 * (the same state machine as src/iam-relay/header-scanner.ts). It captures only what the relay
 * must know: ReadyForQuery's status byte and the head of an ErrorResponse (for its SQLSTATE). */
#ifndef PGRELAY_SCAN_H
#define PGRELAY_SCAN_H
#include <stddef.h>
#include <stdint.h>

#define SCAN_CAPTURE_BYTES 256

typedef struct {
  void (*message_start)(void *ctx, int type);
  void (*ready_for_query)(void *ctx, int status);
  void (*error_response)(void *ctx, const unsigned char *head, size_t n);
  /* The first body byte of each message of the type given to scan_peek (none: never called). */
  void (*first_body_byte)(void *ctx, int byte);
} scan_hooks_t;

typedef struct {
  uint32_t remaining;
  int header_fill;
  int header_type;
  uint32_t header_length;
  int capturing;
  size_t captured;
  unsigned char capture[SCAN_CAPTURE_BYTES];
  int last_type;
  int capture_bodies;
  int peek_type, peeking;
  const scan_hooks_t *hooks;
  void *ctx;
} scanner_t;

void scan_init(scanner_t *s, const scan_hooks_t *hooks, void *ctx, int capture_bodies);
void scan_bytes(scanner_t *s, const unsigned char *p, size_t n);
/* Asks for the first body byte of every message of this type (first_body_byte). */
static inline void scan_peek(scanner_t *s, int type) { s->peek_type = type; }
static inline int scan_at_boundary(const scanner_t *s) { return s->remaining == 0 && s->header_fill == 0; }
#endif
