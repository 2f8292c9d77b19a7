/* The relay's sockets on io_uring (--relay-io): instead of a readiness wait followed by a recv or
 * send of its own (three system calls for each direction of a round trip, each about 1 µs on a
 * paravirtualised host), a session's receives and sends are submitted to one ring per event loop,
 * all of a loop turn's in a single io_uring_enter, and their completions read from shared memory.
 * The ring's descriptor is polled by Node's loop, so everything still runs on its thread.
 *
 * An endpoint stands for one socket and looks to the session like a level-triggered poll: it
 * calls back with UV_READABLE while received bytes wait (or the end came) and UV_WRITABLE while
 * its outgoing queue has room, for the events the session wants. Reads and writes go through
 * buffers: ring_ep_read takes what a completed receive brought, ring_ep_write queues bytes that a
 * send takes later. A TLS connection on an endpoint uses a BIO that does the same. */
#ifndef PGRELAY_RING_H
#define PGRELAY_RING_H
#include <openssl/ssl.h>
#include <sys/types.h>
#include <uv.h>

typedef struct ring_ep ring_ep_t;
/* status < 0: the socket failed (a reset, say); events: UV_READABLE and/or UV_WRITABLE. */
typedef void (*ring_event_fn)(void *owner, int status, int events);
/* The endpoint is gone (its operations are over): after ring_ep_close, with its descriptor
 * closed; after ring_ep_detach, with the descriptor left open and `clean` set when nothing was
 * received or left unsent since. */
typedef void (*ring_done_fn)(void *owner, ring_ep_t *ep, int clean);

/* Sets up this loop's ring; NULL when it works, else why not (io_uring refused, as container
 * runtimes' default seccomp profiles do, or too old a kernel). */
const char *ring_enable(uv_loop_t *loop);
/* Whether endpoints can be opened on this loop. */
int ring_ready(uv_loop_t *loop);

/* Runs what completed already, when outside a turn: a decision that depends on sessions' ends
 * (the door's: is a connection coming back for this client?) must not be taken before the ring
 * says what the kernel already told it. Libuv may run another descriptor's callback first. */
void ring_catch_up(void);

ring_ep_t *ring_ep_open(int fd, void *owner, ring_event_fn on_event, ring_done_fn on_done);
/* The events the owner waits for now (as uv_poll_start's). */
void ring_ep_want(ring_ep_t *ep, unsigned events);
/* As recv(2) and send(2) on a non-blocking socket: -1 with errno EAGAIN when nothing waits (or
 * no room), 0 at the end. A write is taken whole when there is room at all. */
ssize_t ring_ep_read(ring_ep_t *ep, void *into, size_t n);
ssize_t ring_ep_write(ring_ep_t *ep, const void *from, size_t n);
/* shutdown(SHUT_WR) once everything queued has been sent. */
void ring_ep_shutdown(ring_ep_t *ep);
/* Makes the endpoint the TLS connection's transport, both ways; 0 when out of memory. */
int ring_ep_attach_tls(ring_ep_t *ep, SSL *ssl);
void ring_ep_close(ring_ep_t *ep);
/* Frees an endpoint that never had an operation, at once and with no call; the descriptor stays. */
void ring_ep_abandon(ring_ep_t *ep);
/* Gives the descriptor back: on_done replaces the endpoint's own, and is called before this returns
 * where the kernel can cancel at once (Linux 6.0), later otherwise. */
void ring_ep_detach(ring_ep_t *ep, ring_done_fn on_done);
#endif
