/* One step of TLS reading or writing on a non-blocking socket, as both the link's bridge and the
 * session's relay take them: what moved, or what the TLS engine waits for. */
#ifndef PGRELAY_TLS_IO_H
#define PGRELAY_TLS_IO_H
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "bytes.h"

typedef enum { TLS_MOVED, TLS_WANTS_READ, TLS_WANTS_WRITE, TLS_CLOSED } tls_step_t;

static inline tls_step_t tls_outcome(SSL *ssl, int r) {
  switch (SSL_get_error(ssl, r)) {
  case SSL_ERROR_WANT_READ:
    return TLS_WANTS_READ;
  case SSL_ERROR_WANT_WRITE:
    return TLS_WANTS_WRITE;
  default:
    ERR_clear_error();
    return TLS_CLOSED;
  }
}

/* Decrypts into the free space after `into`'s pending bytes (at least `room`); 0 when out of memory. */
static inline tls_step_t tls_read_step(SSL *ssl, bytes_t *into, size_t room) {
  if (!bytes_reserve(into, room)) return TLS_CLOSED;
  int n = SSL_read(ssl, into->p + into->len, (int)(into->cap - into->len));
  if (n <= 0) return tls_outcome(ssl, n);
  into->len += (size_t)n;
  return TLS_MOVED;
}

/* Encrypts and sends from `from`'s pending bytes, advancing past what was taken. */
static inline tls_step_t tls_write_step(SSL *ssl, bytes_t *from) {
  int n = SSL_write(ssl, from->p + from->off, (int)bytes_pending(from));
  if (n <= 0) return tls_outcome(ssl, n);
  from->off += (size_t)n;
  return TLS_MOVED;
}

/* Whether TLS holds bytes of its own (decrypted, or read ahead) that no poll would announce. */
static inline int tls_buffered(SSL *ssl) { return SSL_pending(ssl) > 0 || SSL_has_pending(ssl); }
#endif
