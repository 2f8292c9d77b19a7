/* Message boundaries of a relayed PostgreSQL byte stream, found from the 5-byte headers alone
 * (the same state machine as src/iam-relay/header-scanner.ts). It captures only what the relay
 * must know: ReadyForQuery's status byte, the head of an ErrorResponse (for its SQLSTATE) and,
 * from a client with --reuse-connections, the heads of Parse (prepared statement names). */
#ifndef PGRELAY_SCAN_H
#define PGRELAY_SCAN_H
#include <stddef.h>
#include <stdint.h>

#define SCAN_CAPTURE_BYTES 256

typedef struct {
  void (*message_start)(void *ctx, int type);
  void (*ready_for_query)(void *ctx, int status);
  void (*error_response)(void *ctx, const unsigned char *head, size_t n);
  /* The first bytes (up to SCAN_CAPTURE_BYTES) of each message of the types given to scan_capture. */
  void (*captured)(void *ctx, int type, const unsigned char *head, size_t n);
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
  int capture_types[2];
  const scan_hooks_t *hooks;
  void *ctx;
} scanner_t;

void scan_init(scanner_t *s, const scan_hooks_t *hooks, void *ctx, int capture_bodies);
void scan_bytes(scanner_t *s, const unsigned char *p, size_t n);
/* Asks for the first bytes of every message of these two types (the captured hook). */
static inline void scan_capture(scanner_t *s, int a, int b) {
  s->capture_types[0] = a;
  s->capture_types[1] = b;
}
static inline int scan_at_boundary(const scanner_t *s) { return s->remaining == 0 && s->header_fill == 0; }
#endif
