package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Credentials are a MySQL user and password. Label says where they came from
// (e.g. "AWSCURRENT") for logs; the password is never logged.
type Credentials struct {
	User, Password, Label string
}

// A CredentialSource gives the credentials to try, in order of preference.
// The store asks it again when MySQL refuses the ones it has, which is how a
// rotated password is picked up without a restart.
type CredentialSource interface {
	Credentials(ctx context.Context) ([]Credentials, error)
}

const (
	// maxRefreshes bounds the source reads one new connection may cause.
	maxRefreshes = 2
	// minRefreshInterval spaces reads of the source, so a password that is
	// wrong for good costs one read per interval, not one per connection.
	minRefreshInterval = time.Second
	// refreshTimeout bounds one read of the source, whoever waits for it.
	refreshTimeout = 10 * time.Second
)

// rotatingConnector opens MySQL connections with credentials from a source.
// When MySQL refuses them (error 1045), it reads the source again (one read
// at a time, shared by every connection waiting for it) and tries each
// candidate in turn. Open connections are not affected by a password change,
// so the pool keeps serving while new connections catch up.
type rotatingConnector struct {
	base   *mysql.Config // without user and password
	source CredentialSource
	log    *slog.Logger

	mu        sync.Mutex
	gen       uint64 // bumped by every successful read of the source
	cands     []candidate
	fetchedAt time.Time
	reading   *sourceRead // the read in flight, if any
}

type candidate struct {
	creds     Credentials
	connector driver.Connector
}

// sourceRead is one read of the source; snap and err are set when done is
// closed.
type sourceRead struct {
	done chan struct{}
	snap snapshot
	err  error
}

func newRotatingConnector(base *mysql.Config, source CredentialSource, log *slog.Logger) *rotatingConnector {
	return &rotatingConnector{base: base, source: source, log: log}
}

func (c *rotatingConnector) Driver() driver.Driver { return &mysql.MySQLDriver{} }

func (c *rotatingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	c.mu.Lock()
	gen, cands := c.gen, c.cands
	c.mu.Unlock()
	var refused error
	for refreshes := 0; ; refreshes++ {
		for _, cand := range cands {
			conn, err := cand.connector.Connect(ctx)
			if err == nil {
				c.prefer(gen, cand)
				return conn, nil
			}
			if !accessDenied(err) {
				return nil, err
			}
			refused = err
		}
		if refreshes == maxRefreshes {
			return nil, fmt.Errorf("MySQL refused every credential of the secret, read %d times: %w", maxRefreshes, refused)
		}
		var err error
		if gen, cands, err = c.refresh(ctx, gen); err != nil {
			return nil, err
		}
	}
}

// refresh returns candidates of a generation newer than seen, the one whose
// candidates MySQL refused: the current ones if a read ended since, else
// those of the read in flight (which began after seen's), else of a new
// read. Each caller decides by its own seen, so one that holds older
// candidates never hands a caller the very ones MySQL just refused.
func (c *rotatingConnector) refresh(ctx context.Context, seen uint64) (uint64, []candidate, error) {
	c.mu.Lock()
	if c.gen != seen {
		s := c.snapshot()
		c.mu.Unlock()
		return s.gen, s.cands, nil
	}
	r := c.reading
	if r == nil {
		r = &sourceRead{done: make(chan struct{})}
		c.reading = r
		// Not this caller's context: the others share the result.
		go c.read(context.WithoutCancel(ctx), r, seen > 0)
	}
	c.mu.Unlock()
	select {
	case <-r.done:
		if r.err != nil {
			return 0, nil, r.err
		}
		return r.snap.gen, r.snap.cands, nil
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
}

// read reads the source into the next generation, at most once per
// minRefreshInterval; reread says it is not the first read at start-up.
func (c *rotatingConnector) read(ctx context.Context, r *sourceRead, reread bool) {
	defer close(r.done)
	c.mu.Lock()
	wait := time.Until(c.fetchedAt.Add(minRefreshInterval))
	c.mu.Unlock()
	time.Sleep(wait)

	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	creds, err := c.source.Credentials(ctx)
	if err == nil && len(creds) == 0 {
		err = errors.New("the credential source returned no credentials")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reading = nil
	c.fetchedAt = time.Now()
	if err != nil {
		r.err = err
		return
	}
	cands := make([]candidate, 0, len(creds))
	labels := make([]string, 0, len(creds))
	for _, cr := range creds {
		cfg := c.base.Clone()
		cfg.User, cfg.Passwd = cr.User, cr.Password
		conn, err := mysql.NewConnector(cfg)
		if err != nil {
			r.err = err
			return
		}
		cands = append(cands, candidate{creds: cr, connector: conn})
		labels = append(labels, cr.Label)
	}
	c.gen++
	c.cands = cands
	r.snap = c.snapshot()
	if reread {
		c.log.Info("database credentials re-read after MySQL refused a new connection", "candidates", labels)
	}
}

type snapshot struct {
	gen   uint64
	cands []candidate
}

// snapshot needs c.mu held.
func (c *rotatingConnector) snapshot() snapshot { return snapshot{c.gen, c.cands} }

// prefer moves the candidate that just worked to the front, so the next
// connections try it first (during a rotation, AWSPENDING before the
// promotion).
func (c *rotatingConnector) prefer(gen uint64, cand candidate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || len(c.cands) == 0 || c.cands[0].creds == cand.creds {
		return
	}
	next := []candidate{cand}
	for _, o := range c.cands {
		if o.creds != cand.creds {
			next = append(next, o)
		}
	}
	c.cands = next
	c.log.Info("database connections now use the credentials that MySQL accepted", "label", cand.creds.Label)
}

func accessDenied(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1045 // ER_ACCESS_DENIED_ERROR
}
