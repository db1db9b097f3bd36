-- SmartState inventory: package databases, text contents (configs, dpkg
-- file lists), and what finds files and packages across images.

-- Text file contents kept once per content hash (XXH3-128, as in
-- entries.content_hash): config files, dpkg status and file lists.
CREATE TABLE contents (
  id            INTEGER PRIMARY KEY,
  hash          BLOB NOT NULL UNIQUE,
  size          INTEGER NOT NULL,
  data          BLOB NOT NULL
);

-- etc/shadow is never kept: only each account's password state
-- ("name\tstate" lines, indexer/system/users.h), by the file's hash.
CREATE TABLE shadow_states (
  hash          BLOB PRIMARY KEY,
  states        TEXT NOT NULL
) WITHOUT ROWID;

-- One package database file's parsed content, shared by every layer that
-- ships the same bytes.
CREATE TABLE package_sets (
  id            INTEGER PRIMARY KEY,
  ecosystem     TEXT NOT NULL,          -- deb, rpm, apk
  db_hash       BLOB NOT NULL,          -- content hash of the database file
  warnings      TEXT NOT NULL DEFAULT '',
  UNIQUE (ecosystem, db_hash)
);

CREATE TABLE packages (
  id            INTEGER PRIMARY KEY,
  set_id        INTEGER NOT NULL REFERENCES package_sets(id),
  ecosystem     TEXT NOT NULL,          -- as its set's, for covering indexes
  name          TEXT NOT NULL,
  epoch         TEXT NOT NULL,
  version       TEXT NOT NULL,
  release       TEXT NOT NULL,
  -- memcmp order = the ecosystem's version order (indexer/packages/
  -- version_key.h); NULL when the version has none (apk).
  version_key   BLOB,
  arch          TEXT NOT NULL,
  source_name   TEXT NOT NULL,
  source_version TEXT NOT NULL,
  status        TEXT NOT NULL,
  license       TEXT NOT NULL,
  maintainer    TEXT NOT NULL,
  installed_size INTEGER NOT NULL,
  files         TEXT NOT NULL,          -- newline-separated (rpm, apk)
  config_files  TEXT NOT NULL           -- "path\talgorithm\tdigest" lines
);
CREATE INDEX packages_by_set ON packages(set_id);
-- who-has reads only these covering indexes until a version matches, and
-- narrows a version range to a range of version_key.
CREATE INDEX packages_by_name ON packages(name, ecosystem, version_key,
  epoch, version, release, arch, source_name, set_id);
CREATE INDEX packages_by_source ON packages(source_name, ecosystem,
  version_key, epoch, version, release, arch, name, set_id);

-- The package database files each layer writes.
CREATE TABLE layer_package_dbs (
  layer_id      INTEGER NOT NULL REFERENCES layers(id),
  db_path       TEXT NOT NULL,
  set_id        INTEGER NOT NULL REFERENCES package_sets(id),
  PRIMARY KEY (layer_id, db_path)
) WITHOUT ROWID;

-- The package databases visible in each image's merged tree (derived at
-- commit time, for fleet-wide queries).
CREATE TABLE image_package_sets (
  image_id      INTEGER NOT NULL REFERENCES images(id),
  db_path       TEXT NOT NULL,
  set_id        INTEGER NOT NULL REFERENCES package_sets(id),
  layer_position INTEGER NOT NULL,      -- the layer that wrote that version
  PRIMARY KEY (image_id, db_path)
) WITHOUT ROWID;
CREATE INDEX image_package_sets_by_set ON image_package_sets(set_id);

-- find-file --hash.
CREATE INDEX entries_by_hash ON entries(content_hash) WHERE content_hash IS NOT NULL;
