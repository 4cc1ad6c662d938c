package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"regexp"
	"strings"
)

//go:embed schema/*.sql
var schemaFS embed.FS

var createTableRE = regexp.MustCompile("(?i)^CREATE TABLE IF NOT EXISTS `([a-z]+)`")

// Apply creates the Open Dental tables odsim reads that the database lacks, and seeds the definition
// table when Apply created it. Existing tables are never altered, so Apply is safe against a real Open
// Dental database. It returns the names of the tables it created.
func Apply(ctx context.Context, db *sql.DB) ([]string, error) {
	existing, err := tableNames(ctx, db)
	if err != nil {
		return nil, err
	}
	ddl, err := schemaFS.ReadFile("schema/opendental.sql")
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	var created []string
	for _, stmt := range splitStatements(string(ddl)) {
		m := createTableRE.FindStringSubmatch(stmt)
		if m == nil {
			return nil, fmt.Errorf("schema: unexpected statement %.40q", stmt)
		}
		if existing[m[1]] {
			continue
		}
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return created, fmt.Errorf("create table %s: %w", m[1], err)
		}
		created = append(created, m[1])
	}
	for _, t := range created {
		if t != "definition" {
			continue
		}
		seed, err := schemaFS.ReadFile("schema/definitions.sql")
		if err != nil {
			return created, fmt.Errorf("read seed definitions: %w", err)
		}
		for _, stmt := range splitStatements(string(seed)) {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				return created, fmt.Errorf("seed definitions: %w", err)
			}
		}
	}
	return created, nil
}

// Apply creates the missing Open Dental tables in db; see the package function Apply.
func (db *DB) Apply(ctx context.Context) ([]string, error) { return Apply(ctx, db.db) }

// tableNames lists the tables of the connection's current database, lower-cased.
func tableNames(ctx context.Context, db *sql.DB) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, "SHOW TABLES")
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		names[strings.ToLower(n)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return names, nil
}

// splitStatements splits a schema file into statements, dropping comment lines. The files are ours and
// hold no semicolons inside literals.
func splitStatements(sqlText string) []string {
	var b strings.Builder
	for _, line := range strings.Split(sqlText, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	var out []string
	for _, s := range strings.Split(b.String(), ";\n") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, strings.TrimSuffix(s, ";"))
		}
	}
	return out
}

// SchemaSQL returns the schema and the seed definitions as one SQL script, for loading with a mysql
// client into an empty database (docker's init scripts, for example).
func SchemaSQL() string {
	ddl, _ := schemaFS.ReadFile("schema/opendental.sql")
	seed, _ := schemaFS.ReadFile("schema/definitions.sql")
	return "SET SESSION sql_mode = '';\n" + string(ddl) + "\n" + string(seed)
}
