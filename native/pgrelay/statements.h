/* --reuse-connections: the prepared statements a client made with Parse, followed from the heads
 * of its Parse messages (the same rules as src/iam-relay/named-statements.ts, which says why the
 * client's own Close messages are not followed), so that JavaScript can close them before the
 * connection serves another client. */
#ifndef PGRELAY_STATEMENTS_H
#define PGRELAY_STATEMENTS_H
#include <stddef.h>

#define MAX_FOLLOWED_STATEMENTS 1000

typedef struct {
  char **names;
  size_t n, cap;
  /* A name longer than the capture, too many names, or no memory: not followed. */
  int lost;
} statements_t;

void statements_parsed(statements_t *t, const unsigned char *head, size_t n);
void statements_free(statements_t *t);
#endif
