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
	"golang.org/x/sync/singleflight"
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
	flight singleflight.Group

	mu        sync.Mutex
	gen       uint64 // bumped by every read of the source
	cands     []candidate
	fetchedAt time.Time
}

type candidate struct {
	creds     Credentials
	connector driver.Connector
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

// refresh reads the source unless another caller did since seen, waiting for
// a read in flight rather than starting a second one.
func (c *rotatingConnector) refresh(ctx context.Context, seen uint64) (uint64, []candidate, error) {
	ch := c.flight.DoChan("refresh", func() (any, error) {
		c.mu.Lock()
		if c.gen != seen {
			defer c.mu.Unlock()
			return c.snapshot(), nil
		}
		wait := time.Until(c.fetchedAt.Add(minRefreshInterval))
		c.mu.Unlock()
		time.Sleep(wait)

		// Not the first caller's context: the others share this result.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
		defer cancel()
		creds, err := c.source.Credentials(fctx)
		if err == nil && len(creds) == 0 {
			err = errors.New("the credential source returned no credentials")
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.fetchedAt = time.Now()
		if err != nil {
			return nil, err
		}
		cands := make([]candidate, 0, len(creds))
		labels := make([]string, 0, len(creds))
		for _, cr := range creds {
			cfg := c.base.Clone()
			cfg.User, cfg.Passwd = cr.User, cr.Password
			conn, err := mysql.NewConnector(cfg)
			if err != nil {
				return nil, err
			}
			cands = append(cands, candidate{creds: cr, connector: conn})
			labels = append(labels, cr.Label)
		}
		c.gen++
		c.cands = cands
		if seen > 0 { // not the first read at start-up
			c.log.Info("database credentials re-read after MySQL refused a new connection", "candidates", labels)
		}
		return c.snapshot(), nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return 0, nil, res.Err
		}
		s := res.Val.(snapshot)
		return s.gen, s.cands, nil
	case <-ctx.Done():
		return 0, nil, ctx.Err()
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
