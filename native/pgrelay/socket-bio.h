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
#endif
