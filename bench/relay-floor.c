/* The floor of a relay in C, for the relay-floor benchmark (relay-floor.ts): how much CPU a round
 * trip costs a relay that does nothing but move bytes, with the same TLS to the server as the
 * proxy (SSLRequest, TLS with verification and SNI), either the way the proxy and pgbouncer wait
 * for sockets (epoll: wait, read, write, one system call each) or with io_uring (a send and the
 * next receive submitted together, and the wait for what comes next in the same call). Both modes
 * run the same TLS work on memory buffers, so what differs is only how the kernel is asked.
 *
 * No protocol awareness, no metrics, no login of its own (the client's startup goes through; the
 * benchmark's PostgreSQL trusts loopback logins), no backpressure (pgbench never fills a socket):
 * a floor to measure, not a relay to run.
 *
 * Usage: relay-floor <epoll|uring> <listen port> <server port> [<CA file> <server name>]
 * (without a CA file the server side is plain TCP). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK 16384
/* Room for one TLS record made of a whole chunk: header, content type and tag. */
#define SEALED (CHUNK + 256)
/* What one receive can decrypt to: the part of a record left from the receive before, and the
 * chunk just received. */
#define OPENED (2 * SEALED)

typedef struct pair pair_t;
typedef struct side {
  int fd;
  int ended;
  struct side *peer;
  pair_t *pair;
  SSL *ssl; /* the server side's TLS, when there is one; its BIOs are memory */
  unsigned char in[SEALED];
  unsigned char out[OPENED];
} side_t;
struct pair {
  side_t client, server;
};

static int server_port;
static SSL_CTX *tls_ctx;
static const char *server_name;

static void no_delay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int send_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Whatever TLS wrote into its memory BIO goes out on the socket (handshake only: blocking). */
static int flush_tls(side_t *s) {
  int n;
  while ((n = BIO_read(SSL_get_wbio(s->ssl), s->out, sizeof s->out)) > 0)
    if (send_all(s->fd, s->out, (size_t)n) < 0) return -1;
  return 0;
}

/* Connects to the server; with TLS, asks for it and runs the handshake before relaying. */
static int open_server(side_t *s) {
  s->fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)server_port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s->fd, (struct sockaddr *)&a, sizeof a) < 0) return -1;
  no_delay(s->fd);
  if (!tls_ctx) return 0;
  static const unsigned char ssl_request[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
  unsigned char answer;
  if (send_all(s->fd, ssl_request, 8) < 0 || recv(s->fd, &answer, 1, 0) != 1 || answer != 'S') return -1;
  s->ssl = SSL_new(tls_ctx);
  SSL_set_bio(s->ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  SSL_set_tlsext_host_name(s->ssl, server_name);
  SSL_set1_host(s->ssl, server_name);
  SSL_set_connect_state(s->ssl);
  for (;;) {
    int r = SSL_do_handshake(s->ssl);
    if (flush_tls(s) < 0) return -1;
    if (r == 1) return 0;
    if (SSL_get_error(s->ssl, r) != SSL_ERROR_WANT_READ) return -1;
    ssize_t n = recv(s->fd, s->in, sizeof s->in, 0);
    if (n <= 0) return -1;
    BIO_write(SSL_get_rbio(s->ssl), s->in, (int)n);
  }
}

static pair_t *open_pair(int client_fd) {
  pair_t *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->client.fd = client_fd;
  p->client.peer = &p->server;
  p->server.peer = &p->client;
  p->client.pair = p->server.pair = p;
  no_delay(client_fd);
  if (open_server(&p->server) < 0) {
    fprintf(stderr, "relay-floor: the server connection failed\n");
    close(client_fd);
    if (p->server.fd >= 0) close(p->server.fd);
    SSL_free(p->server.ssl);
    free(p);
    return NULL;
  }
  return p;
}

static void close_pair(pair_t *p) {
  close(p->client.fd);
  close(p->server.fd);
  SSL_free(p->server.ssl);
  free(p);
}

/* What `n` bytes received on `s` become on the way to its peer: decrypted, encrypted or as they
 * came. Returns the bytes to send (in s->out or s->in) and their count in *len; -1 on a TLS error. */
static int transform(side_t *s, size_t n, unsigned char **bytes, size_t *len) {
  if (s->ssl) {
    BIO_write(SSL_get_rbio(s->ssl), s->in, (int)n);
    size_t got = 0;
    int r;
    while (got < sizeof s->out && (r = SSL_read(s->ssl, s->out + got, (int)(sizeof s->out - got))) > 0) got += (size_t)r;
    if (got == 0 && SSL_get_error(s->ssl, r) != SSL_ERROR_WANT_READ) return -1;
    *bytes = s->out;
    *len = got;
  } else if (s->peer->ssl) {
    if (SSL_write(s->peer->ssl, s->in, (int)n) <= 0) return -1;
    int sealed = BIO_read(SSL_get_wbio(s->peer->ssl), s->out, sizeof s->out);
    if (sealed <= 0) return -1;
    *bytes = s->out;
    *len = (size_t)sealed;
  } else {
    *bytes = s->in;
    *len = n;
  }
  return 0;
}

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 512) < 0) {
    perror("relay-floor: listen");
    exit(1);
  }
  return fd;
}

/* ---------- epoll: wait, then one recv and one send per readable socket ---------- */

static _Noreturn void run_epoll(int listen_fd) {
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev);
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(ep, events, 64, -1);
    for (int i = 0; i < n; i++) {
      side_t *s = events[i].data.ptr;
      if (!s) {
        int fd = accept(listen_fd, NULL, NULL);
        pair_t *p = fd < 0 ? NULL : open_pair(fd);
        if (!p) continue;
        struct epoll_event c = {.events = EPOLLIN, .data.ptr = &p->client}, u = {.events = EPOLLIN, .data.ptr = &p->server};
        epoll_ctl(ep, EPOLL_CTL_ADD, p->client.fd, &c);
        epoll_ctl(ep, EPOLL_CTL_ADD, p->server.fd, &u);
        continue;
      }
      if (s->ended) continue;
      ssize_t got = recv(s->fd, s->in, CHUNK, MSG_DONTWAIT);
      if (got < 0 && errno == EAGAIN) continue;
      unsigned char *bytes;
      size_t len;
      if (got <= 0 || transform(s, (size_t)got, &bytes, &len) < 0 || (len > 0 && send_all(s->peer->fd, bytes, len) < 0)) {
        /* Later events of this round may name the pair: it is freed only after the round. */
        s->ended = s->peer->ended = 1;
        epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
        epoll_ctl(ep, EPOLL_CTL_DEL, s->peer->fd, NULL);
        shutdown(s->fd, SHUT_RDWR);
        shutdown(s->peer->fd, SHUT_RDWR);
      }
    }
    for (int i = 0; i < n; i++) {
      side_t *s = events[i].data.ptr;
      if (s && s->ended == 1) {
        s->ended = s->peer->ended = 2;
        close_pair(s->pair);
      }
    }
  }
}

/* ---------- io_uring: each send goes with the next receive on its source, and the call that
 * submits them also waits for the next completion ---------- */

#define ACCEPT_TAG 1u
#define SEND_TAG 2u /* a send posts a completion only when it failed; its linked receive then ends */

static void arm_receive(struct io_uring *ring, side_t *s) {
  struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
  io_uring_prep_recv(sqe, s->fd, s->in, CHUNK, 0);
  io_uring_sqe_set_data(sqe, s);
}

static void send_then_receive(struct io_uring *ring, side_t *s, unsigned char *bytes, size_t len) {
  struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
  io_uring_prep_send(sqe, s->peer->fd, bytes, len, MSG_WAITALL | MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, SEND_TAG);
  sqe->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
  arm_receive(ring, s);
}

static int run_uring(int listen_fd) {
  struct io_uring ring;
  struct io_uring_params params = {.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN};
  int r = io_uring_queue_init_params(1024, &ring, &params);
  if (r < 0) {
    fprintf(stderr, "relay-floor: io_uring is not available here: %s\n", strerror(-r));
    return 3;
  }
  struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
  io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, 0);
  io_uring_sqe_set_data64(sqe, ACCEPT_TAG);
  for (;;) {
    io_uring_submit_and_wait(&ring, 1);
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      seen++;
      if (cqe->user_data == SEND_TAG) continue;
      if (cqe->user_data == ACCEPT_TAG) {
        pair_t *p = cqe->res >= 0 ? open_pair(cqe->res) : NULL;
        if (p) {
          arm_receive(&ring, &p->client);
          arm_receive(&ring, &p->server);
        }
        continue;
      }
      side_t *s = io_uring_cqe_get_data(cqe);
      unsigned char *bytes;
      size_t len = 0;
      if (cqe->res > 0 && transform(s, (size_t)cqe->res, &bytes, &len) == 0) {
        if (len > 0) send_then_receive(&ring, s, bytes, len);
        else arm_receive(&ring, s);
        continue;
      }
      /* This side's receive ended: end the other's too, and free the pair after both. */
      s->ended = 1;
      shutdown(s->fd, SHUT_RDWR);
      shutdown(s->peer->fd, SHUT_RDWR);
      if (s->peer->ended) close_pair(s->pair);
    }
    io_uring_cq_advance(&ring, seen);
  }
}

int main(int argc, char **argv) {
  if (argc != 4 && argc != 6) {
    fprintf(stderr, "usage: relay-floor <epoll|uring> <listen port> <server port> [<CA file> <server name>]\n");
    return 2;
  }
  server_port = atoi(argv[3]);
  if (argc == 6) {
    tls_ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_load_verify_locations(tls_ctx, argv[4], NULL) != 1) {
      fprintf(stderr, "relay-floor: cannot read the CA file %s\n", argv[4]);
      return 2;
    }
    server_name = argv[5];
  }
  int listen_fd = listen_on(atoi(argv[2]));
  printf("listening\n");
  fflush(stdout);
  if (strcmp(argv[1], "uring") == 0) return run_uring(listen_fd);
  run_epoll(listen_fd);
}
