package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// maxStatements bounds the prepared statements one pool keeps. The store's
// queries are a fixed set of texts with placeholders, far fewer than this;
// a text past the bound is prepared for each use, as without the cache.
const maxStatements = 256

// stmtCache keeps one prepared statement per query text on a pool.
// Preparing is most of the cost of a short query on SQLite, and
// database/sql would otherwise prepare on every call. It is safe for
// concurrent use; *sql.Stmt prepares itself on each connection it runs on.
type stmtCache struct {
	pool *sql.DB

	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
	// wanted are texts seen in transactions and not prepared yet: on the
	// writer pool a transaction holds the only connection, so they are
	// prepared after it ends.
	wanted map[string]struct{}
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, stmts: map[string]*sql.Stmt{}, wanted: map[string]struct{}{}}
}

// lookup returns the prepared statement of query, or nil, never preparing
// it; a miss is remembered for prepareWanted.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.stmts[query]
	c.mu.RUnlock()
	if ok {
		return st
	}
	c.mu.Lock()
	if len(c.stmts)+len(c.wanted) < maxStatements {
		c.wanted[query] = struct{}{}
	}
	c.mu.Unlock()
	return nil
}

// prepareWanted prepares the texts lookup missed. It must run when no
// transaction holds a connection of the pool.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	var queries []string
	for q := range c.wanted {
		queries = append(queries, q)
		delete(c.wanted, q)
	}
	c.mu.Unlock()
	for _, q := range queries {
		if st, err := c.pool.PrepareContext(ctx, q); err == nil {
			c.keep(q, st)
		}
	}
}

// get returns the prepared statement of query, preparing it on first use;
// nil when the cache is full or preparing failed (the caller then runs the
// query unprepared, which reports any error). The lock is not held while
// preparing: on the writer pool that waits for a transaction to end, and
// the transaction looks statements up meanwhile.
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.stmts[query]
	full := len(c.stmts)+len(c.wanted) >= maxStatements
	c.mu.RUnlock()
	if ok {
		return st
	}
	if full {
		return nil
	}
	st, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	return c.keep(query, st)
}

// keep caches st for query and returns the statement cached for it: st,
// or the one another goroutine cached first.
func (c *stmtCache) keep(query string, st *sql.Stmt) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[query]; ok {
		_ = st.Close()
		return prev
	}
	delete(c.wanted, query)
	c.stmts[query] = st
	return st
}

// close closes every statement; the pool closes after it.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		_ = st.Close()
		delete(c.stmts, q)
	}
}

// cachedQuerier runs queries through a pool's statement cache.
type cachedQuerier struct {
	c *stmtCache
}

func (q cachedQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.c.get(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.c.pool.ExecContext(ctx, query, args...)
}

func (q cachedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.c.get(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.c.pool.QueryContext(ctx, query, args...)
}

func (q cachedQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.c.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.c.pool.QueryRowContext(ctx, query, args...)
}

// txQuerier runs a transaction's queries through the writer's statement
// cache: the writer pool has one connection, so a cached statement is
// already prepared on the transaction's. It never prepares: the
// transaction holds the connection a preparation would wait for.
type txQuerier struct {
	tx *sql.Tx
	c  *stmtCache
}

func (q txQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.c.lookup(query); st != nil {
		return q.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q txQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.c.lookup(query); st != nil {
		return q.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q txQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.c.lookup(query); st != nil {
		return q.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}
