-- Registry repositories dcid polls on its own (dci watch-repo): new or
-- moved tags are indexed, vanished ones untagged, each with its event.
-- No password is kept: credentials come from an authfile read at poll time.
CREATE TABLE registry_watches (
  id              INTEGER PRIMARY KEY,
  repository      TEXT NOT NULL UNIQUE,  -- HOST[:PORT]/REPO, as tags name it
  tag_glob        TEXT NOT NULL,         -- fnmatch(3) over tag names
  interval_s      INTEGER NOT NULL,
  platform        TEXT NOT NULL,         -- os/arch[/variant], "" = default
  skip_tls_verify INTEGER NOT NULL,
  cert_dir        TEXT NOT NULL,
  authfile        TEXT NOT NULL,
  added_at_us     INTEGER NOT NULL,
  last_poll_us    INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT ''
);
