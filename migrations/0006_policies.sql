-- Policies bound on the server (dci policy add NAME FILE --images GLOB) and
-- the verdicts they gave. Verdicts are append-only, like tag history: the
-- latest row of an (image, policy) pair is the image's current verdict; a
-- warn or deny verdict is written with its POLICY_VIOLATION event, in one
-- transaction, and names it.
CREATE TABLE policies (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  yaml         TEXT NOT NULL,          -- the policy file as given
  images_glob  TEXT NOT NULL,          -- fnmatch(3) over NAME:TAG (or digest)
  added_at_us  INTEGER NOT NULL
);

CREATE TABLE policy_verdicts (
  id              INTEGER PRIMARY KEY,
  image_id        INTEGER NOT NULL REFERENCES images(id),
  policy_name     TEXT NOT NULL,
  verdict         TEXT NOT NULL,       -- pass, warn, deny
  evaluated_at_us INTEGER NOT NULL,
  trigger_seq     INTEGER NOT NULL,    -- the event that asked for it (0: none)
  name            TEXT NOT NULL DEFAULT '',  -- the tag it was evaluated for
  tag             TEXT NOT NULL DEFAULT '',
  event_seq       INTEGER,             -- its POLICY_VIOLATION event, if any
  result          TEXT NOT NULL        -- violations and evidence (JSON)
);
CREATE INDEX policy_verdicts_by_image ON policy_verdicts(image_id, policy_name, id);
CREATE UNIQUE INDEX policy_verdicts_by_event ON policy_verdicts(event_seq);

-- How far dcid's policy enforcer has read the event log: events after it
-- may still need an evaluation (an existing database starts at its head,
-- so images indexed before this migration are not evaluated retroactively).
INSERT INTO log_state(key, value)
  VALUES ('policy_cursor', (SELECT COALESCE(MAX(seq), 0) FROM events));
