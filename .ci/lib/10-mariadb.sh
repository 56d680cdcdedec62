# Sourced by .ci/run (and `make services`): installs MariaDB if missing, starts a
# private server on loopback (no systemd), and exports EMPCTL_TEST_MYSQL_DSN.
# Idempotent: a server already running from an earlier call is reused.

mariadb_dir="${EMPCTL_CI_DIR:-/tmp/empctl-ci}/mariadb"
mariadb_port="${EMPCTL_MARIADB_PORT:-33061}"

if [ ! -x /usr/sbin/mariadbd ]; then
  apt_install mariadb-server mariadb-client
fi

mariadb_ping() { mariadb-admin --socket="$mariadb_dir/mysqld.sock" -uroot ping >/dev/null 2>&1; }

if ! mariadb_ping; then
  mkdir -p "$mariadb_dir"
  if [ ! -d "$mariadb_dir/data/mysql" ]; then
    mariadb-install-db --user=root --datadir="$mariadb_dir/data" --auth-root-authentication-method=socket \
      --skip-test-db >"$mariadb_dir/install.log" 2>&1 || { cat "$mariadb_dir/install.log"; exit 1; }
  fi
  # setsid: the server must outlive this script's process group when a caller
  # (make, a shell) runs it; CI ends everything after the run anyway.
  setsid /usr/sbin/mariadbd --no-defaults --user=root --datadir="$mariadb_dir/data" \
    --socket="$mariadb_dir/mysqld.sock" --pid-file="$mariadb_dir/mysqld.pid" \
    --port="$mariadb_port" --bind-address=127.0.0.1 --skip-name-resolve \
    --innodb-buffer-pool-size=128M --max-connections=500 \
    --log-error="$mariadb_dir/error.log" </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 60); do mariadb_ping && break; sleep 0.5; done
  mariadb_ping || { echo "MariaDB did not start; its log:" >&2; tail -50 "$mariadb_dir/error.log" >&2; exit 1; }
fi

# The test user may create one database per test, so it gets global privileges;
# the password is a throwaway for a loopback-only server.
mariadb --socket="$mariadb_dir/mysqld.sock" -uroot <<'SQL'
CREATE USER IF NOT EXISTS 'empctl'@'127.0.0.1' IDENTIFIED BY 'empctl-test';
GRANT ALL PRIVILEGES ON *.* TO 'empctl'@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS empctl_test;
SQL
export EMPCTL_TEST_MYSQL_DSN="empctl:empctl-test@tcp(127.0.0.1:${mariadb_port})/empctl_test?parseTime=true&multiStatements=false"
echo "MariaDB ready on 127.0.0.1:${mariadb_port} (EMPCTL_TEST_MYSQL_DSN exported)"
