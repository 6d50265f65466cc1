package peertube

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// databaseName is an instance's own database, named after its claimed
// port (unlike start.sh's peertube_PORT, so the two never meet).
func databaseName(port int) string { return "peertube_h" + strconv.Itoa(port) }

// psql runs SQL as PostgreSQL's superuser (creating databases and the
// pg_trgm and unaccent extensions needs one), on database db ("" for the
// default one), and returns its unaligned output.
func psql(ctx context.Context, db, sql string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	args := []string{"-qtA", "-v", "ON_ERROR_STOP=1"}
	if db != "" {
		args = append(args, "-d", db)
	}
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.CommandContext(ctx, "su", "postgres", "-c", "psql "+strings.Join(args, " "))
	} else {
		cmd = exec.CommandContext(ctx, "sudo", append([]string{"-n", "-u", "postgres", "psql"}, args...)...)
	}
	cmd.Dir = os.TempDir() // postgres may not read the test's directory
	cmd.Stdin = strings.NewReader(sql)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql as postgres: %w: %s", err, out)
	}
	return string(out), nil
}

// createDatabase makes a fresh database for an instance: any leftover of
// the same name is dropped first.
func createDatabase(ctx context.Context, name string) error {
	if err := dropDatabase(ctx, name); err != nil {
		return err
	}
	if _, err := psql(ctx, "", "CREATE DATABASE "+name+" OWNER peertube;"); err != nil {
		return err
	}
	_, err := psql(ctx, name, "CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE EXTENSION IF NOT EXISTS unaccent;")
	return err
}

// dropDatabase drops a database, ending its connections (PostgreSQL 13+).
func dropDatabase(ctx context.Context, name string) error {
	_, err := psql(ctx, "", "DROP DATABASE IF EXISTS "+name+" WITH (FORCE);")
	return err
}
