#include "socket-bio.h"
#include <errno.h>
#include <openssl/bio.h>
#include <stdint.h>
#include <sys/socket.h>

static BIO_METHOD *method;

static int fd_of(BIO *b) { return (int)(intptr_t)BIO_get_data(b); }

/* As OpenSSL's socket BIO: what is worth another try once the socket is ready. */
static int transient(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == EINPROGRESS || err == ENOTCONN; }

static int bio_write(BIO *b, const char *data, size_t n, size_t *written) {
  BIO_clear_retry_flags(b);
  ssize_t r = send(fd_of(b), data, n, MSG_NOSIGNAL);
  if (r < 0) {
    if (transient(errno)) BIO_set_retry_write(b);
    return 0;
  }
  *written = (size_t)r;
  return 1;
}

static int bio_read(BIO *b, char *into, size_t n, size_t *got) {
  BIO_clear_retry_flags(b);
  ssize_t r = recv(fd_of(b), into, n, 0);
  if (r > 0) {
    *got = (size_t)r;
    return 1;
  }
  /* The end, which OpenSSL 3 tells from a retry by BIO_eof: "unexpected eof while reading". */
  if (r == 0) BIO_set_flags(b, BIO_FLAGS_IN_EOF);
  else if (transient(errno)) BIO_set_retry_read(b);
  return 0;
}

static long ctrl_common(BIO *b, int cmd) {
  switch (cmd) {
  case BIO_CTRL_EOF:
    return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
  case BIO_CTRL_FLUSH:
    return 1;
  default:
    return 0;
  }
}

static long ctrl_with_fd(BIO *b, int cmd, long num, void *ptr) {
  if (cmd != BIO_C_GET_FD) return ctrl_common(b, cmd);
  if (ptr) *(int *)ptr = fd_of(b);
  return fd_of(b);
}

static long ctrl_without_fd(BIO *b, int cmd, long num, void *ptr) { return ctrl_common(b, cmd); }

static int bio_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD *transport_bio_method(const char *name, int with_fd, bio_write_fn write, bio_read_fn read) {
  BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | (with_fd ? BIO_TYPE_DESCRIPTOR : 0), name);
  if (!m || !BIO_meth_set_write_ex(m, write) || !BIO_meth_set_read_ex(m, read) ||
      !BIO_meth_set_ctrl(m, with_fd ? ctrl_with_fd : ctrl_without_fd) || !BIO_meth_set_create(m, bio_create)) {
    BIO_meth_free(m);
    return NULL;
  }
  return m;
}

int socket_bio_attach(SSL *ssl, int fd) {
  if (!method) method = transport_bio_method("aurora-pg-proxy socket", 1, bio_write, bio_read);
  if (!method) return 0;
  BIO *b = BIO_new(method);
  if (!b) return 0;
  BIO_set_data(b, (void *)(intptr_t)fd);
  SSL_set_bio(ssl, b, b);
  return 1;
}
