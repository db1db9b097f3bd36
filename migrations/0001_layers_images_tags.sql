-- Layers are content-addressed by diff_id and indexed once (PRODUCT.md,
-- "Principles of the data model" 1). An image is a stack of layer
-- references plus its config (principle 2); its merged tree is derived.

CREATE TABLE layers (
  id            INTEGER PRIMARY KEY,
  diff_id       TEXT NOT NULL UNIQUE,   -- sha256 of the uncompressed tar
  size          INTEGER NOT NULL,       -- uncompressed tar bytes
  entry_count   INTEGER NOT NULL,       -- entries after whiteout folding
  tar_headers   INTEGER NOT NULL,       -- headers as read
  indexed_at    INTEGER NOT NULL,       -- unix seconds
  warnings      TEXT NOT NULL DEFAULT '' -- one per line
);

-- Compressed forms of a layer as seen in images (gzip, zstd, plain).
CREATE TABLE blobs (
  digest        TEXT PRIMARY KEY,
  layer_id      INTEGER NOT NULL REFERENCES layers(id),
  media_type    TEXT NOT NULL,
  size          INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX blobs_by_layer ON blobs(layer_id);

-- Interned paths, canonical form ("etc/passwd"; no leading "/").
CREATE TABLE paths (
  id            INTEGER PRIMARY KEY,
  path          TEXT NOT NULL UNIQUE
);

-- What each layer says about each path (store/layer_entry.h).
CREATE TABLE entries (
  layer_id      INTEGER NOT NULL REFERENCES layers(id),
  path_id       INTEGER NOT NULL REFERENCES paths(id),
  type          INTEGER NOT NULL,       -- EntryType
  flags         INTEGER NOT NULL,       -- 1 opaque, 2 implicit
  mode          INTEGER NOT NULL,
  uid           INTEGER NOT NULL,
  gid           INTEGER NOT NULL,
  size          INTEGER NOT NULL,
  mtime         INTEGER NOT NULL,
  link_target   TEXT,                   -- NULL unless symlink or hardlink
  content_hash  BLOB,                   -- XXH3-128, files and hardlinks
  device        INTEGER,                -- major << 32 | minor
  PRIMARY KEY (layer_id, path_id)
) WITHOUT ROWID;
-- One probe finds every layer that has a path: drift resolution and
-- find-file.
CREATE INDEX entries_by_path ON entries(path_id, layer_id);

CREATE TABLE images (
  id                    INTEGER PRIMARY KEY,
  manifest_digest       TEXT NOT NULL UNIQUE,
  manifest_media_type   TEXT NOT NULL,
  manifest_synthesized  INTEGER NOT NULL,
  manifest_json         TEXT NOT NULL,
  config_digest         TEXT NOT NULL,
  config_media_type     TEXT NOT NULL,
  config_json           TEXT NOT NULL,  -- verbatim; fields derive from it
  os                    TEXT NOT NULL,
  architecture          TEXT NOT NULL,
  variant               TEXT NOT NULL,
  created               TEXT NOT NULL,
  index_digest          TEXT NOT NULL,  -- '' unless picked from an index
  source                TEXT NOT NULL,  -- reference it was first indexed from
  indexed_at            INTEGER NOT NULL,
  warnings              TEXT NOT NULL DEFAULT ''
);
CREATE INDEX images_by_config ON images(config_digest);

CREATE TABLE image_layers (
  image_id      INTEGER NOT NULL REFERENCES images(id),
  position      INTEGER NOT NULL,       -- 0 = bottom
  layer_id      INTEGER NOT NULL REFERENCES layers(id),
  blob_digest   TEXT NOT NULL,
  media_type    TEXT NOT NULL,
  blob_size     INTEGER NOT NULL,
  history_index INTEGER NOT NULL,       -- config history step, -1 if none
  PRIMARY KEY (image_id, position)
) WITHOUT ROWID;
CREATE INDEX image_layers_by_layer ON image_layers(layer_id);

-- Where each NAME:TAG points now.
CREATE TABLE tags (
  name          TEXT NOT NULL,
  tag           TEXT NOT NULL,
  image_id      INTEGER NOT NULL REFERENCES images(id),
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (name, tag)
) WITHOUT ROWID;
CREATE INDEX tags_by_image ON tags(image_id);

-- Every time a NAME:TAG was seen pointing at an image (append-only).
CREATE TABLE tag_history (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL,
  tag           TEXT NOT NULL,
  image_id      INTEGER NOT NULL REFERENCES images(id),
  first_seen    INTEGER NOT NULL,
  last_seen     INTEGER NOT NULL
);
CREATE INDEX tag_history_by_tag ON tag_history(name, tag, id);

-- The outbox: written in the transaction of the change it reports.
CREATE TABLE events (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind          TEXT NOT NULL,          -- IMAGE_INDEXED, TAG_CREATED, ...
  at            INTEGER NOT NULL,
  image_id      INTEGER REFERENCES images(id),
  name          TEXT NOT NULL DEFAULT '',
  tag           TEXT NOT NULL DEFAULT '',
  old_image_id  INTEGER REFERENCES images(id)
);
