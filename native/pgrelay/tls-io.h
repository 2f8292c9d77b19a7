/* One step of TLS reading or writing on a non-blocking socket, as both the link's bridge and the
 * session's relay take them: what moved, or what the TLS engine waits for. */
#ifndef PGRELAY_TLS_IO_H
#define PGRELAY_TLS_IO_H
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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

/* The peer went away mid-handshake: OpenSSL 3 reports an end without close_notify as "unexpected
 * eof", older ones as a bare syscall error or zero return. */
static inline int tls_peer_closed(unsigned long err, int ssl_error) {
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
  if (err) return ERR_GET_LIB(err) == ERR_LIB_SSL && ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
#else
  if (err) return 0;
#endif
  return ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_ZERO_RETURN;
}

/* Why a handshake failed with `ssl_error`, in `why`; returns whether the peer simply went away
 * (as opposed to a certificate or protocol failure). OpenSSL's error queue is left empty. */
static inline int tls_handshake_failure(SSL *ssl, int ssl_error, char *why, size_t n) {
  long verify = SSL_get_verify_result(ssl);
  unsigned long err = ERR_get_error();
  int closed = verify == X509_V_OK && tls_peer_closed(err, ssl_error);
  if (verify != X509_V_OK) snprintf(why, n, "%s", X509_verify_cert_error_string(verify));
  else if (closed) snprintf(why, n, "the connection closed during the TLS handshake");
  else if (err) ERR_error_string_n(err, why, n);
  else snprintf(why, n, "TLS error %d", ssl_error);
  ERR_clear_error();
  return closed;
}

/* Why a poll reported an error on a socket mid-handshake, in `why`; returns whether the peer went
 * away (a reset). libuv reports every socket error as UV_EBADF, so the socket is asked instead. */
static inline int tls_socket_failure(int fd, char *why, size_t n) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  int closed = err == 0 || err == ECONNRESET || err == EPIPE || err == ECONNABORTED;
  if (closed) snprintf(why, n, "the connection closed during the TLS handshake");
  else snprintf(why, n, "%s", strerror(err));
  return closed;
}

/* Whether TLS holds bytes of its own (decrypted, or read ahead) that no poll would announce. */
static inline int tls_buffered(SSL *ssl) { return SSL_pending(ssl) > 0 || SSL_has_pending(ssl); }
#endif
