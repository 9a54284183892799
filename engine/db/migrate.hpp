// db/migrate.hpp — numbered schema migrations: finding the files and applying the new ones.
//
// Contract: a migration is a file `NNN_description.sql` (NNN an integer
// version; order is numeric, gaps are fine, two files with one version are an
// error, other `.sql` names are an error, other files are ignored). migrate()
// (declared in db.hpp) applies each file whose version is not yet in
// `schema_migrations`, in version order, each in its own BEGIN IMMEDIATE
// transaction together with its record, so a failing file leaves no trace and
// the ones before it stay applied. The applied check runs inside that
// transaction, so two processes starting at once apply each file once.
// Files must not hold BEGIN / COMMIT themselves. Foreign keys are not enforced
// while a file runs (so a table can be rebuilt without cascading deletes), and
// are checked with `PRAGMA foreign_key_check` before its commit.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace mr::db {

struct MigrationFile {
  long long version = 0;
  std::string name;  // file name, as recorded
  std::filesystem::path path;
};

// The migration files of `dir`, in version order; empty when dir is missing.
// Throws MigrationError on a bad name or a duplicate version.
std::vector<MigrationFile> list_migrations(const std::filesystem::path& dir);

}  // namespace mr::db
