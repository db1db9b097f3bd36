-- Container drift snapshots (dci drift --name): what a named container had
-- changed compared with its image, each time it was looked at. Append-only,
-- like tag history; each row is written with its CONTAINER_DRIFT event.
CREATE TABLE container_snapshots (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL,          -- the container, as the user named it
  image_id        INTEGER NOT NULL REFERENCES images(id),
  source          TEXT NOT NULL,          -- dir:..., tar:..., overlay:...
  taken_at_us     INTEGER NOT NULL,       -- unix microseconds
  event_seq       INTEGER NOT NULL,       -- its CONTAINER_DRIFT event
  files_added     INTEGER NOT NULL,
  files_removed   INTEGER NOT NULL,
  files_changed   INTEGER NOT NULL,
  configs_changed INTEGER NOT NULL,
  modified_files  INTEGER NOT NULL,       -- packaged files modified in place
  -- Newline-separated names.
  packages_added      TEXT NOT NULL DEFAULT '',
  packages_removed    TEXT NOT NULL DEFAULT '',
  packages_upgraded   TEXT NOT NULL DEFAULT '',
  packages_downgraded TEXT NOT NULL DEFAULT '',
  metadata_changed    TEXT NOT NULL DEFAULT '',
  -- One "A|R|C path" line per drifted path, sorted by path: what the
  -- next snapshot is compared with (drift-history's newly drifted paths).
  changes         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX container_snapshots_by_name ON container_snapshots(name, id);
CREATE UNIQUE INDEX container_snapshots_by_event ON container_snapshots(event_seq);
