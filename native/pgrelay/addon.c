/* The Node-API surface of the native relay (src/iam-relay/native/ loads it). Objects are named
 * by small integer ids rather than pointers, so that a call with the id of a link or session
 * that has ended is harmless. */
#include "pgrelay.h"
#include "ring.h"
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* One per cluster target and one per listener: a process never needs many. */
#define MAX_CONTEXTS 1024

/* Ids carry a generation beside the slot, so that an id kept by JavaScript after its object ended
 * never names the next object in the same slot. */
#define SLOT_BITS 20
#define SLOT_MASK ((1 << SLOT_BITS) - 1)
#define GENERATIONS 2047

typedef struct {
  void **v;
  uint16_t *gen;
  int cap;
  int next;
} table_t;

static table_t links, sessions, doors;
/* Holds an id between its allocation and the object's creation. */
static char reserved_marker;
#define RESERVED ((void *)&reserved_marker)
static SSL_CTX *contexts[MAX_CONTEXTS];
static int context_count;

static int make_id(table_t *t, int slot) {
  t->gen[slot] = (uint16_t)(t->gen[slot] % GENERATIONS + 1);
  return slot | (t->gen[slot] << SLOT_BITS);
}

static int table_add(table_t *t, void *p) {
  for (int tries = 0; tries < t->cap; tries++) {
    int slot = t->next;
    t->next = (t->next + 1) % t->cap;
    if (slot > 0 && t->v[slot] == NULL) {
      t->v[slot] = p;
      return make_id(t, slot);
    }
  }
  int old = t->cap;
  int cap = old ? old * 2 : 1024;
  if (cap > SLOT_MASK) return -1;
  void **v = realloc(t->v, cap * sizeof *v);
  if (!v) return -1;
  t->v = v;
  uint16_t *gen = realloc(t->gen, cap * sizeof *gen);
  if (!gen) return -1;
  t->gen = gen;
  memset(v + old, 0, (cap - old) * sizeof *v);
  memset(gen + old, 0, (cap - old) * sizeof *gen);
  t->cap = cap;
  int slot = old > 0 ? old : 1;
  t->v[slot] = p;
  t->next = slot + 1;
  return make_id(t, slot);
}

static int table_slot(table_t *t, int id) {
  if (id <= 0) return -1;
  int slot = id & SLOT_MASK;
  return slot < t->cap && t->gen[slot] == (id >> SLOT_BITS) ? slot : -1;
}

static void *table_get(table_t *t, int id) {
  int slot = table_slot(t, id);
  void *p = slot > 0 ? t->v[slot] : NULL;
  return p == RESERVED ? NULL : p;
}

static void table_set(table_t *t, int id, void *p) {
  int slot = table_slot(t, id);
  if (slot > 0) t->v[slot] = p;
}

void table_forget_link(int id) { table_set(&links, id, NULL); }
int table_reserve_link(void) { return table_add(&links, RESERVED); }
void table_place_link(int id, link_t *l) { table_set(&links, id, l); }
void table_forget_session(int id) { table_set(&sessions, id, NULL); }
link_t *addon_link(int id) { return table_get(&links, id); }

void addon_session_announced(int id) {
  session_t *s = table_get(&sessions, id);
  if (s) session_announced(s);
}

/* ---------- calling JavaScript from libuv callbacks ---------- */

int js_callback_init(js_callback_t *cb, napi_env env, napi_value fn, const char *name) {
  napi_value resource, resource_name;
  cb->env = env;
  if (napi_create_reference(env, fn, 1, &cb->fn) != napi_ok) return -1;
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name);
  if (napi_async_init(env, resource, resource_name, &cb->actx) != napi_ok) {
    napi_delete_reference(env, cb->fn);
    cb->fn = NULL;
    return -1;
  }
  return 0;
}

void js_callback_call(js_callback_t *cb, int argc, js_args_fn build, js_result_fn take, void *data) {
  if (!cb->fn) return;
  napi_env env = cb->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value fn, recv, argv[8], result = NULL;
  napi_get_reference_value(env, cb->fn, &fn);
  napi_get_global(env, &recv); /* napi_make_callback wants an object as `this` */
  argc = build(env, data, argv);
  napi_status st = napi_make_callback(env, cb->actx, recv, fn, (size_t)argc, argv, &result);
  if (st == napi_pending_exception) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    result = NULL;
  }
  if (take && st == napi_ok) take(env, result, data);
  napi_close_handle_scope(env, scope);
}

void js_callback_free(js_callback_t *cb) {
  if (!cb->fn) return;
  napi_async_destroy(cb->env, cb->actx);
  napi_delete_reference(cb->env, cb->fn);
  cb->fn = NULL;
}

/* ---------- argument helpers ---------- */

static int arg_int(napi_env env, napi_value v) {
  int32_t x = -1;
  napi_get_value_int32(env, v, &x);
  return x;
}

static char *arg_string(napi_env env, napi_value v) {
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok) return NULL;
  char *s = malloc(n + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, n + 1, &n);
  return s;
}

static int arg_buffer(napi_env env, napi_value v, const char **p, size_t *n) {
  void *data = NULL;
  *p = NULL;
  *n = 0;
  if (napi_get_buffer_info(env, v, &data, n) != napi_ok) return -1;
  *p = data;
  return 0;
}

static napi_value bool_value(napi_env env, int x) {
  napi_value v;
  napi_get_boolean(env, x != 0, &v);
  return v;
}

static napi_value int_value(napi_env env, int x) {
  napi_value v;
  napi_create_int32(env, x, &v);
  return v;
}

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* A context as both sides use it: TLS 1.2 at least, and read-ahead (one read() takes whatever
 * the kernel has, not a record header and then its body). */
static SSL_CTX *new_context(const SSL_METHOD *method) {
  SSL_CTX *ctx = SSL_CTX_new(method);
  if (!ctx) return NULL;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_read_ahead(ctx, 1);
  return ctx;
}

/* Keeps a finished context (or frees a failed one) and returns its number to JavaScript. */
static napi_value register_context(napi_env env, SSL_CTX *ctx, int ok, const char *failure) {
  if (!ok) {
    SSL_CTX_free(ctx);
    return throw_error(env, failure);
  }
  contexts[context_count] = ctx;
  return int_value(env, context_count++);
}

/* createClientContext(caPem: string): number. The trusted roots come from JavaScript (Node's
 * own list, the service's bundle, --upstream-ca), so that both TLS stacks trust the same CAs. */
static napi_value create_client_context(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (context_count >= MAX_CONTEXTS) return throw_error(env, "too many TLS contexts");
  char *pem = arg_string(env, argv[0]);
  if (!pem) return throw_error(env, "caPem must be a string");
  SSL_CTX *ctx = new_context(TLS_client_method());
  if (!ctx) {
    free(pem);
    return throw_error(env, "could not create a TLS context");
  }
  X509_STORE *store = SSL_CTX_get_cert_store(ctx);
  BIO *bio = BIO_new_mem_buf(pem, -1);
  int added = 0;
  X509 *cert;
  while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    if (X509_STORE_add_cert(store, cert) == 1) added++;
    X509_free(cert);
  }
  ERR_clear_error();
  BIO_free(bio);
  free(pem);
  return register_context(env, ctx, added > 0, "no CA certificate could be read");
}

/* createServerContext(certPem, keyPem): number, for TLS from clients (the proxy's certificate). */
static napi_value create_server_context(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (context_count >= MAX_CONTEXTS) return throw_error(env, "too many TLS contexts");
  char *cert_pem = arg_string(env, argv[0]);
  char *key_pem = arg_string(env, argv[1]);
  SSL_CTX *ctx = new_context(TLS_server_method());
  if (!ctx) return throw_error(env, "could not create a TLS context");
  /* As PostgreSQL's own server: no session resumption, so no session cache (a locked table entry
   * per connection) and no session tickets (two more records encrypted and sent per handshake,
   * which libpq never uses). */
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 0);
  BIO *cb = cert_pem ? BIO_new_mem_buf(cert_pem, -1) : NULL;
  BIO *kb = key_pem ? BIO_new_mem_buf(key_pem, -1) : NULL;
  X509 *cert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
  EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
  int ok = cert && key && SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1;
  /* The rest of a configured chain, so that clients can verify up to their root. */
  X509 *extra;
  while (ok && cb && (extra = PEM_read_bio_X509(cb, NULL, NULL, NULL)) != NULL)
    if (SSL_CTX_add_extra_chain_cert(ctx, extra) != 1) X509_free(extra);
  ERR_clear_error();
  X509_free(cert);
  EVP_PKEY_free(key);
  BIO_free(cb);
  BIO_free(kb);
  free(cert_pem);
  free(key_pem);
  return register_context(env, ctx, ok, "the certificate or key could not be read");
}

/* openTls(context, fd, servername | null, callback(kind, fdOrMessage, verifyCode)): number. With
 * a servername the proxy is the TLS client (to the cluster), without one the server (for a client). */
static napi_value open_tls(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int ctx = arg_int(env, argv[0]);
  int fd = arg_int(env, argv[1]);
  if (ctx < 0 || ctx >= context_count || fd < 0) return throw_error(env, "bad TLS context or descriptor");
  napi_valuetype type;
  napi_typeof(env, argv[2], &type);
  char *name = type == napi_string ? arg_string(env, argv[2]) : NULL;
  if (type == napi_string && !name) return throw_error(env, "servername must be a string");
  int id = table_add(&links, RESERVED);
  link_t *l = id > 0 ? link_open(env, contexts[ctx], fd, name, argv[3], id) : NULL;
  free(name);
  if (!l) {
    if (id > 0) table_forget_link(id);
    return throw_error(env, "could not start a TLS connection");
  }
  table_set(&links, id, l);
  return int_value(env, id);
}

/* The link an export's first argument names (NULL when gone), and up to 8 arguments in argv. */
static link_t *link_call(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  napi_get_cb_info(env, info, &n, argv, NULL, NULL);
  return table_get(&links, arg_int(env, argv[0]));
}

static napi_value close_link(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  link_t *l = link_call(env, info, 1, argv);
  if (l) link_close(l);
  return NULL;
}

/* (link): JavaScript's end of a bridge made now for a link that had none, or -1. */
static napi_value bridge_link(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  link_t *l = link_call(env, info, 1, argv);
  return int_value(env, l ? link_bridge(l) : -1);
}

/* Where every link's reset reports (onLinkResets): one function, not one per reset, whose setting
 * up (a reference, an async context) cost more than the reset's own work. */
static js_callback_t reset_events;

typedef struct {
  int link, ok;
} reset_done_t;

static int reset_done_args(napi_env env, void *data, napi_value *argv) {
  reset_done_t *r = data;
  napi_get_boolean(env, r->ok, &argv[0]);
  napi_create_int32(env, r->link, &argv[1]);
  return 2;
}

void addon_reset_done(int link, int ok) {
  reset_done_t r = {link, ok};
  js_callback_call(&reset_events, 2, reset_done_args, NULL, &r);
}

/* (callback): callback(ok, link) hears how each reset run by resetLink ended. */
static napi_value on_link_resets(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  js_callback_free(&reset_events);
  if (js_callback_init(&reset_events, env, argv[0], "aurora-pg-proxy:resets") != 0) return throw_error(env, "could not keep the reset callback");
  return NULL;
}

/* (link, bytes, readyCount, timeoutMs): a reset run in the addon on a link with no bridge
 * (link_reset), reported to the onLinkResets callback; false when it cannot start. */
static napi_value reset_link(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  link_t *l = link_call(env, info, 4, argv);
  const char *bytes;
  size_t n;
  double timeout = 0;
  if (!l || arg_buffer(env, argv[1], &bytes, &n)) return bool_value(env, 0);
  napi_get_value_double(env, argv[3], &timeout);
  return bool_value(env, link_reset(l, env, bytes, n, arg_int(env, argv[2]), timeout > 0 ? (uint64_t)timeout : 1));
}

static void free_handle(uv_handle_t *h) { free(h); }

static void discard_parts(link_parts_t *p) {
  SSL_free(p->ssl);
  uv_close((uv_handle_t *)p->poll, free_handle);
  close(p->fd);
  if (p->bridge >= 0) close(p->bridge);
  bytes_free(&p->from_peer);
  bytes_free(&p->to_peer);
}

/* A session on the cluster link l and the client: its TLS link cl, its TLS connection `given`
 * (run by the door), or the plain socket client_fd. Its id, or -1 when a link is no longer usable
 * (its peer closed it); nothing of the client is taken then. */
static int start_session(napi_env env, link_t *l, link_t *cl, link_parts_t *given, int client_fd, const session_options_t *o, napi_value callback) {
  if (!l || !link_is_ready(l)) return -1;
  if (cl ? !link_is_ready(cl) : !given && client_fd < 0) return -1;
  int id = table_add(&sessions, RESERVED);
  if (id < 0) return -1;
  link_parts_t parts, taken;
  link_parts_t *client = given;
  if (link_take(l, &parts, o->keep_bridge) != 0) {
    table_forget_session(id);
    return -1;
  }
  if (cl) {
    if (link_take(cl, &taken, 0) != 0) {
      discard_parts(&parts);
      table_forget_session(id);
      return -1;
    }
    client = &taken;
  }
  session_t *s = session_start(env, &parts, client, client_fd, o, callback, id);
  if (!s) {
    table_forget_session(id);
    discard_parts(&parts);
    if (cl) discard_parts(&taken);
    return -1;
  }
  table_set(&sessions, id, s);
  return id;
}

/* join(upstreamLink, clientLink, clientFd, toClient, toUpstream, lostMessage, occ, holdLimit,
 * keepUpstream, callback): number, or -1 when a link is no longer usable (its peer closed it). The
 * client is its TLS link when clientLink > 0, else the plain socket clientFd. */
static napi_value join(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  link_t *l = table_get(&links, arg_int(env, argv[0]));
  int client_link = arg_int(env, argv[1]);
  link_t *cl = client_link > 0 ? table_get(&links, client_link) : NULL;
  int client_fd = arg_int(env, argv[2]);
  session_options_t o;
  memset(&o, 0, sizeof o);
  if (arg_buffer(env, argv[3], &o.to_client, &o.to_client_len) || arg_buffer(env, argv[4], &o.to_upstream, &o.to_upstream_len) ||
      arg_buffer(env, argv[5], &o.lost_message, &o.lost_message_len))
    return throw_error(env, "join expects buffers");
  bool occ = false;
  napi_get_value_bool(env, argv[6], &occ);
  double hold = 0;
  napi_get_value_double(env, argv[7], &hold);
  int32_t keep = KEEP_NEVER;
  napi_get_value_int32(env, argv[8], &keep);
  o.occ = occ;
  o.hold_limit = (size_t)hold;
  o.keep_upstream = keep;
  if (client_link > 0 && !cl) return int_value(env, -1);
  return int_value(env, start_session(env, l, cl, NULL, client_fd, &o, argv[9]));
}

int addon_start_session(napi_env env, int link, int client_fd, const session_options_t *o, napi_value callback) {
  return start_session(env, table_get(&links, link), NULL, NULL, client_fd, o, callback);
}

int addon_start_session_tls(napi_env env, int link, SSL *ssl, int fd, uv_poll_t *poll, const session_options_t *o, napi_value callback) {
  link_parts_t client;
  memset(&client, 0, sizeof client);
  client.ssl = ssl;
  client.fd = fd;
  client.poll = poll;
  client.bridge = -1;
  return start_session(env, table_get(&links, link), NULL, &client, -1, o, callback);
}

/* (session, message): hands a frame to a live session; nothing for one that has ended. */
static napi_value with_session_message(napi_env env, napi_callback_info info, void (*deliver)(session_t *, const char *, size_t)) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  session_t *s = table_get(&sessions, arg_int(env, argv[0]));
  const char *p;
  size_t n;
  if (s && arg_buffer(env, argv[1], &p, &n) == 0) deliver(s, p, n);
  return NULL;
}

static napi_value notice(napi_env env, napi_callback_info info) { return with_session_message(env, info, session_notice); }
static napi_value terminate(napi_env env, napi_callback_info info) { return with_session_message(env, info, session_terminate); }

static napi_value stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  session_t *s = table_get(&sessions, arg_int(env, argv[0]));
  if (!s) {
    napi_value undef;
    napi_get_undefined(env, &undef);
    return undef;
  }
  return session_stats(env, s);
}

/* Node configures its loop to measure idle time (UV_METRICS_IDLE_TIME, behind
 * performance.eventLoopUtilization()). libuv then asks epoll twice each time it would wait: once
 * without waiting, to tell busy from idle, then again with the timeout. For a relay that waits
 * once per direction of every round trip, that is two extra system calls per transaction (seen
 * as 3.9 epoll_pwait calls per pgbench transaction against pgbouncer's 2). No libuv call turns
 * the option off, so this clears its bit in the loop's internal flags: the first field of
 * uv__loop_internal_fields_t, bit UV_METRICS_IDLE_TIME, in every libuv from 1.39 (where it
 * appeared) to 1.52 (Node 24), the versions this was checked against; any other version is left
 * alone. Nothing in the proxy reads event loop utilization. Returns whether the bit was cleared. */
static napi_value stop_idle_time_metrics(napi_env env, napi_callback_info info) {
  (void)info;
  unsigned v = uv_version();
  int known_layout = v >= 0x012700 && v < 0x013500; /* 1.39.0 to 1.52.x */
  uv_loop_t *loop = NULL;
  napi_get_uv_event_loop(env, &loop);
  int cleared = 0;
  if (known_layout && loop && loop->internal_fields) {
    unsigned int *flags = loop->internal_fields;
    cleared = (*flags & UV_METRICS_IDLE_TIME) != 0;
    *flags &= ~(unsigned int)UV_METRICS_IDLE_TIME;
  }
  return bool_value(env, cleared);
}

/* (listenFd, handoffMs, callback, sessionEvents, lostMessage, occ, holdLimit, keepClean,
 * announceMs, resetWaitMs, tlsContext, tlsTimeoutMs): the native front door of a listener
 * (door.c); tlsContext is a createServerContext number, or -1 to leave TLS clients to JavaScript. */
static napi_value open_door(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  door_options_t o;
  memset(&o, 0, sizeof o);
  double handoff = 0, hold = 0, announce = 0, reset_wait = 0;
  napi_get_value_double(env, argv[1], &handoff);
  napi_get_value_double(env, argv[8], &announce);
  napi_get_value_double(env, argv[9], &reset_wait);
  if (arg_buffer(env, argv[4], &o.lost_message, &o.lost_message_len)) return throw_error(env, "openDoor expects a buffer");
  bool occ = false, keep_clean = false;
  napi_get_value_bool(env, argv[5], &occ);
  napi_get_value_double(env, argv[6], &hold);
  napi_get_value_bool(env, argv[7], &keep_clean);
  o.handoff_ms = handoff > 0 ? (uint64_t)handoff : 1;
  o.announce_ms = announce > 0 ? (uint64_t)announce : 0;
  o.reset_wait_ms = reset_wait > 0 ? (uint64_t)reset_wait : 0;
  o.occ = occ;
  o.hold_limit = (size_t)hold;
  o.keep_clean = keep_clean;
  int tls_context = arg_int(env, argv[10]);
  double tls_timeout = 0;
  napi_get_value_double(env, argv[11], &tls_timeout);
  o.tls_ctx = tls_context >= 0 && tls_context < context_count ? contexts[tls_context] : NULL;
  o.tls_timeout_ms = tls_timeout > 0 ? (uint64_t)tls_timeout : 0;
  int id = table_add(&doors, RESERVED);
  if (id < 0) return int_value(env, -1);
  door_t *d = door_open(env, arg_int(env, argv[0]), &o, argv[2], argv[3]);
  table_set(&doors, id, d);
  if (!d) return int_value(env, -1);
  return int_value(env, id);
}

/* The door an export's first argument names (NULL when gone), and up to 8 arguments in argv. */
static door_t *door_call(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  napi_get_cb_info(env, info, &n, argv, NULL, NULL);
  return table_get(&doors, arg_int(env, argv[0]));
}

/* (door, parkId, key, link, frames, ready): offers the warm connection on link to the door's
 * clients whose canonical startup parameters are key; false when the door is gone. */
static napi_value park(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  door_t *d = door_call(env, info, 6, argv);
  const char *key, *frames, *ready;
  size_t key_len, frames_len, ready_len;
  if (!d || arg_buffer(env, argv[2], &key, &key_len) || arg_buffer(env, argv[4], &frames, &frames_len) || arg_buffer(env, argv[5], &ready, &ready_len))
    return bool_value(env, 0);
  return bool_value(env, door_park(d, arg_int(env, argv[1]), key, key_len, arg_int(env, argv[3]), frames, frames_len, ready, ready_len));
}

/* (door, parkId): takes a parked connection back; false when the door no longer has it. */
static napi_value unpark(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  door_t *d = door_call(env, info, 2, argv);
  return bool_value(env, d && door_unpark(d, arg_int(env, argv[1])));
}

/* (door, processId, secretKey): a cancel key for a client the door answers; false when the door
 * is gone or holds as many as it takes. */
static napi_value grant(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  door_t *d = door_call(env, info, 3, argv);
  return bool_value(env, d && door_grant(d, arg_int(env, argv[1]), arg_int(env, argv[2])));
}

/* (door, room): how many more clients the door may answer before JavaScript says again. */
static napi_value room(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  door_t *d = door_call(env, info, 2, argv);
  if (d) door_room(d, arg_int(env, argv[1]));
  return NULL;
}

/* (door): JavaScript hears now of the sessions the door started that it has not heard of yet. */
static napi_value settle(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  door_t *d = door_call(env, info, 1, argv);
  if (d) door_settle(d);
  return NULL;
}

/* (door, key, count): how many connections under the canonical startup parameters `key` are
 * being reset now; the door holds that key's clients for them while there are any. */
static napi_value resetting(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  door_t *d = door_call(env, info, 3, argv);
  const char *key;
  size_t key_len;
  if (d && !arg_buffer(env, argv[1], &key, &key_len)) door_resetting(d, key, key_len, arg_int(env, argv[2]));
  return NULL;
}

/* (door): [answered, login, left] holds ended since the door opened, then the milliseconds each
 * outcome's clients waited in all; null when the door is gone. */
static napi_value holds(napi_env env, napi_callback_info info) {
  napi_value argv[1], out = NULL;
  door_t *d = door_call(env, info, 1, argv);
  if (!d) {
    napi_get_null(env, &out);
    return out;
  }
  uint64_t counts[2 * DOOR_HOLD_OUTCOMES];
  door_holds(d, counts);
  napi_create_array_with_length(env, 2 * DOOR_HOLD_OUTCOMES, &out);
  for (uint32_t i = 0; i < 2 * DOOR_HOLD_OUTCOMES; i++) {
    napi_value v;
    napi_create_double(env, (double)counts[i], &v);
    napi_set_element(env, out, i, v);
  }
  return out;
}

static napi_value close_door(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  door_t *d = door_call(env, info, 1, argv);
  if (d) {
    table_set(&doors, arg_int(env, argv[0]), NULL);
    door_close(d);
  }
  return NULL;
}

/* useIoUring(): the relay's sessions started from now on use this loop's io_uring (ring.h);
 * returns "" when they will, else why not. */
static napi_value use_io_uring(napi_env env, napi_callback_info info) {
  (void)info;
  uv_loop_t *loop = NULL;
  napi_get_uv_event_loop(env, &loop);
  const char *why = loop ? ring_enable(loop) : "no event loop";
  napi_value out;
  napi_create_string_utf8(env, why ? why : "", NAPI_AUTO_LENGTH, &out);
  return out;
}

static napi_value catch_up(napi_env env, napi_callback_info info) {
  (void)info;
  ring_catch_up();
  return NULL;
}

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);
  napi_set_named_property(env, exports, name, f);
}

static napi_value init(napi_env env, napi_value exports) {
  export_fn(env, exports, "createClientContext", create_client_context);
  export_fn(env, exports, "createServerContext", create_server_context);
  export_fn(env, exports, "openTls", open_tls);
  export_fn(env, exports, "closeLink", close_link);
  export_fn(env, exports, "bridgeLink", bridge_link);
  export_fn(env, exports, "resetLink", reset_link);
  export_fn(env, exports, "onLinkResets", on_link_resets);
  export_fn(env, exports, "join", join);
  export_fn(env, exports, "notice", notice);
  export_fn(env, exports, "terminate", terminate);
  export_fn(env, exports, "stats", stats);
  export_fn(env, exports, "stopIdleTimeMetrics", stop_idle_time_metrics);
  export_fn(env, exports, "useIoUring", use_io_uring);
  export_fn(env, exports, "catchUp", catch_up);
  export_fn(env, exports, "openDoor", open_door);
  export_fn(env, exports, "closeDoor", close_door);
  export_fn(env, exports, "park", park);
  export_fn(env, exports, "unpark", unpark);
  export_fn(env, exports, "doorGrant", grant);
  export_fn(env, exports, "doorRoom", room);
  export_fn(env, exports, "doorSettle", settle);
  export_fn(env, exports, "doorResetting", resetting);
  export_fn(env, exports, "doorHolds", holds);
  napi_value version;
  napi_create_string_utf8(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "openssl", version);
  return exports;
}

NAPI_MODULE(pgrelay, init)
