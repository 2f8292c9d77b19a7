/* The TLS connections' transport: a BIO on a non-blocking socket, as OpenSSL's own socket BIO
 * (SSL_set_fd) but with recv(2) and send(2), which go to the socket directly, where OpenSSL's
 * read(2) and write(2) take the file layer's path first (its descriptor lookup with position
 * lock, its iterators): measured with perf, that path was about 3% of the relay's CPU per round
 * trip. The descriptor stays the caller's: freeing the BIO never closes it. */
#ifndef PGRELAY_SOCKET_BIO_H
#define PGRELAY_SOCKET_BIO_H
#include <openssl/ssl.h>

/* Makes `fd` the TLS connection's transport, both ways; 0 when out of memory. */
int socket_bio_attach(SSL *ssl, int fd);

/* A BIO method for a transport of the relay's own (this one, the io_uring's): reads and writes as
 * BIO_meth_set_read_ex's and write_ex's, an end flagged with BIO_FLAGS_IN_EOF (which OpenSSL 3
 * reads to tell an end from a retry); with_fd: the BIO's data is a descriptor, BIO_C_GET_FD
 * answers it. NULL when out of memory. Made on the event loop's thread, like every call here. */
typedef int (*bio_write_fn)(BIO *b, const char *data, size_t n, size_t *written);
typedef int (*bio_read_fn)(BIO *b, char *into, size_t n, size_t *got);
BIO_METHOD *transport_bio_method(const char *name, int with_fd, bio_write_fn write, bio_read_fn read);
#endif
