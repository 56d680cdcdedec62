package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFS embed.FS

type migration struct {
	version    int
	name       string
	statements []string
	// run is a data migration written in Go, in place of statements.
	run func(ctx context.Context, x execer, dialect string) error
}

// dataMigrations run in version order among the SQL files, whose numbers
// they share: a SQL file with the same number is an error.
var dataMigrations = []migration{
	{version: 3, name: "0003_normalize_emails", run: func(ctx context.Context, x execer, dialect string) error {
		return normalizeEmails(ctx, x, map[string]func(error) bool{"mysql": mysqlDuplicate, "sqlite": sqliteDuplicate}[dialect], slog.Default())
	}},
}

// loadMigrations reads migrations/<dialect>/NNNN_name.sql and adds the data
// migrations, in version order.
func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s/%s: name must be NNNN_description.sql", dir, e.Name())
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), statements: splitStatements(string(b))})
	}
	out = append(out, dataMigrations...)
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].name, out[i].name, out[i].version)
		}
	}
	return out, nil
}

// splitStatements splits on semicolons that end a line; migrations hold no
// procedures or string literals with such semicolons.
func splitStatements(sqlText string) []string {
	var out []string
	for _, s := range strings.Split(sqlText, ";\n") {
		if s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), ";")); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// execer is what both a *sql.Conn and a *sql.Tx offer.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// applyPending applies the migrations not yet recorded in schema_migrations.
// The caller holds the dialect's migration lock. Versions recorded but unknown
// to this binary are a newer release's expand steps and are left alone: that
// is what lets an older release keep running during a rollout or a rollback.
func applyPending(ctx context.Context, x execer, dialect string) (applied []string, err error) {
	ms, err := loadMigrations(dialect)
	if err != nil {
		return nil, err
	}
	if _, err := x.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER      NOT NULL PRIMARY KEY,
		name       VARCHAR(255) NOT NULL,
		applied_at BIGINT       NOT NULL)`); err != nil {
		return nil, fmt.Errorf("creating schema_migrations: %w", err)
	}
	rows, err := x.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("reading schema_migrations: %w", err)
	}
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			_ = rows.Close()
			return nil, err
		}
		done[v] = true
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	for _, m := range ms {
		if done[m.version] {
			continue
		}
		for _, stmt := range m.statements {
			if _, err := x.ExecContext(ctx, stmt); err != nil {
				return applied, fmt.Errorf("migration %s: %w", m.name, err)
			}
		}
		if m.run != nil {
			if err := m.run(ctx, x, dialect); err != nil {
				return applied, fmt.Errorf("migration %s: %w", m.name, err)
			}
		}
		if _, err := x.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, time.Now().UnixMilli()); err != nil {
			return applied, fmt.Errorf("recording migration %s: %w", m.name, err)
		}
		applied = append(applied, m.name)
	}
	return applied, nil
}
